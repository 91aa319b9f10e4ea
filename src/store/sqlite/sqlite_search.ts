/**
 * `experiments/search` and `runs/search` on the SQLite store: parse (search/), compile to SQL
 * (sql.ts; a run search first samples its filter keys to pick the plan), fetch one page of ids
 * plus one more row to know whether a next page exists, then load the page's entities in bulk.
 * Offset page tokens identical to MLflow's.
 */
import type { Experiment, Page, Run, ViewType } from "../../model.ts";
import { parseExperimentFilter, parseRunFilter } from "../../search/filter.ts";
import { parseExperimentOrderBy, parseRunOrderBy } from "../../search/order_by.ts";
import { decodePageToken, encodePageToken } from "../../search/page_token.ts";
import { validateExperimentId, validateMaxResults } from "../../validate.ts";
import type { SearchExperimentsRequest, SearchRunsRequest } from "../store.ts";
import type { Statements } from "./connection.ts";
import {
  canDrive,
  compileDriverSample,
  compileRunSearch,
  type DriverSample,
  type RunSearch,
} from "./sql.ts";
import { compileExperimentSearch } from "./sql_experiments.ts";
import { experimentsByIds, runsByIds, sqlExperimentId } from "./sqlite_reader.ts";

/** MLflow's default page size of both searches. */
const DEFAULT_MAX_RESULTS = 1000;

/** The lifecycle stages a view type selects. */
export function stagesOf(view: ViewType | undefined): string[] {
  if (view === "ALL") return ["active", "deleted"];
  return view === "DELETED_ONLY" ? ["deleted"] : ["active"];
}

/** A page with a next token only when more items remain (MLflow 3.x's SQL store does the same). */
export function page<T>(items: T[], more: boolean, next: number): Page<T> {
  return more ? { items, nextPageToken: encodePageToken(next) } : { items };
}

/** A search's page size: MLflow's default, or the checked request. */
export function maxResults(n: number | undefined): number {
  return n === undefined ? DEFAULT_MAX_RESULTS : validateMaxResults(n);
}

/** One page of experiments. */
export function searchExperimentsSql(
  r: Statements,
  req: SearchExperimentsRequest,
): Page<Experiment> {
  const filter = parseExperimentFilter(req.filter);
  const order = parseExperimentOrderBy(req.orderBy);
  const max = maxResults(req.maxResults);
  const offset = decodePageToken(req.pageToken);
  const q = compileExperimentSearch({
    stages: stagesOf(req.viewType),
    filter,
    order,
    limit: max + 1,
    offset,
  });
  const ids = r.all<{ experiment_id: string }>(q.sql, ...q.params).map((x) => x.experiment_id);
  return page(experimentsByIds(r, ids.slice(0, max)), ids.length > max, offset + max);
}

/** Rows of a key that chooseDriver() samples. */
export const SAMPLE = 64;

/**
 * The share of a key's sampled rows that must belong to the searched runs for walking that key to
 * pay: the walk reads every row of the key, in any experiment, while the scan looks the key up for
 * every run of the searched experiments only. Measured on 10,000 searched runs: the walk is 2.2×
 * faster when they hold all of the key, no faster at a share of 1/2 and 1.8× slower at 1/3.
 */
const MIN_SHARE = 0.6;

/**
 * The comparison of `s.filter` whose key should drive the search (RunSearch.driver), chosen from a
 * sample of each candidate key's rows (SQLite keeps no statistics on MLflow's database): a key
 * with fewer rows than the sample first, fewest first, then among keys mostly of the searched
 * runs the one whose test passes least often. None when a run id filter is given (the runs
 * primary key answers it) or no key is mostly of the searched runs (say, one small experiment in
 * a database of many: scanning runs is cheaper than walking every experiment's rows of the key).
 */
export function chooseDriver(r: Statements, s: RunSearch): number | undefined {
  return pickDriver(
    driverCandidates(s).map((i) => {
      const q = compileDriverSample(s, i, SAMPLE);
      return [i, r.one<DriverSample>(q.sql, ...q.params)!];
    }),
  );
}

/** The comparisons of `s.filter` that chooseDriver() samples: none when a run id filter is given. */
export function driverCandidates(s: RunSearch): number[] {
  const byId = s.filter.some((c) =>
    c.entity === "attribute" && c.key === "run_id" &&
    (c.comparator === "=" || c.comparator === "IN")
  );
  return byId ? [] : s.filter.flatMap((c, i) => canDrive(c) ? [i] : []);
}

/** chooseDriver()'s choice among sampled candidates (index in the filter, its sample). */
export function pickDriver(samples: [number, DriverSample][]): number | undefined {
  let best: { i: number; score: number } | undefined;
  for (const [i, { n, members, hits }] of samples) {
    if (n === SAMPLE && members < MIN_SHARE * n) continue;
    // Scores below 1 rank a key seen whole by its size, those from 1 up by how often it passes.
    const score = n < SAMPLE ? n / SAMPLE : 1 + hits / n;
    if (!best || score < best.score) best = { i, score };
  }
  return best?.i;
}

// The longest search (as its key's JSON) whose driver choice DriverChoices keeps.
const MAX_KEY_CHARS = 4096;

/**
 * Recent driver choices (chooseDriver()) per search: experiments, stages and filter, for `ttlMs`.
 * A choice only decides how a search finds its rows, never which rows or their order (the driven
 * and undriven queries give the same pages), so one that data written since has made stale costs
 * time, not results: no cache of data across servers. Repeated searches (B4, a UI's refresh, the
 * next page) skip the samples: on PostgreSQL one round trip and two statements.
 */
export class DriverChoices {
  readonly #choices = new Map<string, { driver: number | undefined; until: number }>();

  constructor(
    readonly ttlMs = 10_000,
    readonly max = 256,
    readonly now: () => number = Date.now,
  ) {}

  /** The choice for `s`: a recent one, else `choose()`'s (then kept). */
  async get(
    s: RunSearch,
    choose: () => Promise<number | undefined>,
  ): Promise<number | undefined> {
    const key = JSON.stringify([s.experimentIds.map(String), s.stages, s.filter]);
    // Bounded memory whatever clients send: a long search (a filter of thousands of ids, say)
    // is sampled each time rather than kept.
    if (key.length > MAX_KEY_CHARS) return choose();
    const t = this.now();
    const hit = this.#choices.get(key);
    if (hit && hit.until > t) return hit.driver;
    const driver = await choose();
    this.#choices.delete(key);
    if (this.#choices.size >= this.max) {
      this.#choices.delete(this.#choices.keys().next().value!);
    }
    this.#choices.set(key, { driver, until: t + this.ttlMs });
    return driver;
  }
}

/**
 * A checked run search request as compileRunSearch takes it (one row over the page, to know
 * whether a next page exists) with its page size; undefined when it names no experiment.
 */
export function runSearchOf(
  req: SearchRunsRequest,
): { search: RunSearch; max: number } | undefined {
  const filter = parseRunFilter(req.filter);
  const order = parseRunOrderBy(req.orderBy);
  const max = maxResults(req.maxResults);
  const offset = decodePageToken(req.pageToken);
  const ids = [...new Set(req.experimentIds)].map((e) => sqlExperimentId(validateExperimentId(e)));
  if (ids.length === 0) return undefined;
  const stages = stagesOf(req.viewType);
  return {
    search: { experimentIds: ids, stages, filter, order, limit: max + 1, offset },
    max,
  };
}

/** One page of runs of the given experiments. */
export function searchRunsSql(r: Statements, req: SearchRunsRequest): Page<Run> {
  const of = runSearchOf(req);
  if (!of) return { items: [] };
  const { search, max } = of;
  const q = compileRunSearch({ ...search, driver: chooseDriver(r, search) });
  const runIds = r.all<{ run_uuid: string }>(q.sql, ...q.params).map((x) => x.run_uuid);
  return page(runsByIds(r, runIds.slice(0, max)), runIds.length > max, search.offset + max);
}
