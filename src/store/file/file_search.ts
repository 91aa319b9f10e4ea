/**
 * Searches over the file store's index. Filtering and sorting read only the files the filter and
 * order mention (through the stat-validated cache); full run data is loaded only for the page.
 */
import type { Experiment, Metric, Page, Run, Tag } from "../../model.ts";
import type { SearchExperimentsRequest, SearchRunsRequest } from "../store.ts";
import { validateExperimentId, validateMaxResults } from "../../validate.ts";
import { parseExperimentFilter, parseRunFilter } from "../../search/filter.ts";
import { parseExperimentOrderBy, parseRunOrderBy } from "../../search/order_by.ts";
import {
  compareExperiments,
  compareRuns,
  matchExperiment,
  matchRun,
  paginate,
  referencedKeys,
} from "../../search/match.ts";
import { decodePageToken } from "../../search/page_token.ts";
import type { ExperimentLoc, FileReader, RunLoc } from "./file_reader.ts";
import { isImmutable, isImmutableQuery } from "./run_order.ts";

/** MLflow's default page size of both searches. */
export const DEFAULT_MAX_RESULTS = 1000;

/** `experiments/search` over the tree. */
export function searchExperimentsIn(
  reader: FileReader,
  req: SearchExperimentsRequest,
): Page<Experiment> {
  const filter = parseExperimentFilter(req.filter);
  const order = parseExperimentOrderBy(req.orderBy);
  const max = req.maxResults === undefined
    ? DEFAULT_MAX_RESULTS
    : validateMaxResults(req.maxResults);
  const found: Experiment[] = [];
  for (const loc of reader.experimentLocs(req.viewType ?? "ACTIVE_ONLY")) {
    const exp = reader.tryExperiment(loc);
    if (exp && matchExperiment(exp, filter)) found.push(exp);
  }
  found.sort(compareExperiments(order));
  return paginate(found, max, req.pageToken);
}

/** `runs/search` over the given experiments. */
export function searchRunsIn(reader: FileReader, req: SearchRunsRequest): Page<Run> {
  const filter = parseRunFilter(req.filter);
  const order = parseRunOrderBy(req.orderBy);
  const max = req.maxResults === undefined
    ? DEFAULT_MAX_RESULTS
    : validateMaxResults(req.maxResults);
  const view = req.viewType ?? "ACTIVE_ONLY";
  const exps: ExperimentLoc[] = [];
  for (const expId of new Set(req.experimentIds)) {
    validateExperimentId(expId);
    const exp = reader.findExperiment(expId);
    if (exp) exps.push(exp);
  }
  const inView = (info: Run["info"]) =>
    view === "ALL" || info.lifecycleStage === (view === "ACTIVE_ONLY" ? "active" : "deleted");
  const refs = referencedKeys(filter, order);
  if (isImmutableQuery(filter, order)) {
    // Only keys that never change: visit runs in that order up to the end of the page.
    const limit = decodePageToken(req.pageToken) + max + 1;
    const visited = reader.order.scan(
      exps,
      order,
      [...refs.params],
      (key) => matchRun(key, filter),
      inView,
      limit,
    );
    if (visited) {
      const page = paginate(visited, max, req.pageToken);
      return { ...page, items: page.items.map((v) => reader.fullRun(v.loc, v.info)) };
    }
  }
  // Conditions on keys that never change narrow the runs to read through the index, without I/O.
  const fixed = filter.filter(isImmutable);
  const scan = fixed.length
    ? reader.order.candidates(
      exps,
      [...referencedKeys(fixed, []).params],
      (key) => matchRun(key, fixed),
    )
    : exps.flatMap((exp) => reader.runLocs(exp));
  const locs = new Map<Run, RunLoc>();
  const found: Run[] = [];
  for (const loc of scan) {
    const info = reader.tryRunInfo(loc);
    if (!info || !inView(info)) continue;
    let run: Run | undefined;
    try {
      run = partialRun(reader, loc, info, refs);
    } catch (e) {
      reader.warnOnce(`Skipping run "${reader.rel(loc.dir)}": ${(e as Error).message}`);
      continue;
    }
    if (!matchRun(run, filter)) continue;
    locs.set(run, loc);
    found.push(run);
  }
  found.sort(compareRuns(order));
  const page = paginate(found, max, req.pageToken);
  return {
    ...page,
    items: page.items.map((r) => reader.fullRun(locs.get(r)!, r.info)),
  };
}

// A run holding only the data the filter and order refer to.
function partialRun(
  reader: FileReader,
  loc: RunLoc,
  info: Run["info"],
  refs: ReturnType<typeof referencedKeys>,
): Run {
  const metrics: Metric[] = [];
  for (const key of refs.metrics) {
    const m = reader.latestMetric(loc, key);
    if (m) metrics.push(m);
  }
  const kv = (kind: "params" | "tags", keys: Set<string>): Tag[] => {
    const out: Tag[] = [];
    for (const key of keys) {
      const value = reader.runFile(loc, kind, key);
      if (value !== undefined) out.push({ key, value });
    }
    return out;
  };
  return {
    info,
    data: { metrics, params: kv("params", refs.params), tags: kv("tags", refs.tags) },
    inputs: { datasetInputs: refs.datasets ? reader.inputs(loc) : [] },
  };
}

/** Ids of deleted runs deleted before `before` (runs without deleted_time always count). */
export function deletedRunIdsIn(reader: FileReader, before?: number): string[] {
  const out: string[] = [];
  for (const exp of reader.experimentLocs("ALL")) {
    for (const loc of reader.runLocs(exp)) {
      const info = reader.tryRunInfo(loc);
      if (info?.lifecycleStage !== "deleted") continue;
      if (before === undefined || info.deletedTime === undefined || info.deletedTime < before) {
        out.push(info.runId);
      }
    }
  }
  return out;
}
