/**
 * `experiments/search` and `runs/search` on the SQLite store: parse (search/), compile to SQL
 * (sql.ts), fetch one page of ids plus one more row to know whether a next page exists, then load
 * the page's entities in bulk. Offset page tokens identical to MLflow's.
 */
import type { Experiment, Page, Run, ViewType } from "../../model.ts";
import { parseExperimentFilter, parseRunFilter } from "../../search/filter.ts";
import { parseExperimentOrderBy, parseRunOrderBy } from "../../search/order_by.ts";
import { decodePageToken, encodePageToken } from "../../search/page_token.ts";
import { validateExperimentId, validateMaxResults } from "../../validate.ts";
import type { SearchExperimentsRequest, SearchRunsRequest } from "../store.ts";
import type { Statements } from "./connection.ts";
import { compileExperimentSearch, compileRunSearch } from "./sql.ts";
import { experimentsByIds, runsByIds, sqlExperimentId } from "./sqlite_reader.ts";

/** MLflow's default page size of both searches. */
const DEFAULT_MAX_RESULTS = 1000;

function stagesOf(view: ViewType | undefined): string[] {
  if (view === "ALL") return ["active", "deleted"];
  return view === "DELETED_ONLY" ? ["deleted"] : ["active"];
}

/** A page with a next token only when more items remain (MLflow 3.x's SQL store does the same). */
export function page<T>(items: T[], more: boolean, next: number): Page<T> {
  return more ? { items, nextPageToken: encodePageToken(next) } : { items };
}

function maxResults(n: number | undefined): number {
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

/** One page of runs of the given experiments. */
export function searchRunsSql(r: Statements, req: SearchRunsRequest): Page<Run> {
  const filter = parseRunFilter(req.filter);
  const order = parseRunOrderBy(req.orderBy);
  const max = maxResults(req.maxResults);
  const offset = decodePageToken(req.pageToken);
  const ids = [...new Set(req.experimentIds)].map((e) => sqlExperimentId(validateExperimentId(e)));
  if (ids.length === 0) return { items: [] };
  const q = compileRunSearch({
    experimentIds: ids,
    stages: stagesOf(req.viewType),
    filter,
    order,
    limit: max + 1,
    offset,
  });
  const runIds = r.all<{ run_uuid: string }>(q.sql, ...q.params).map((x) => x.run_uuid);
  return page(runsByIds(r, runIds.slice(0, max)), runIds.length > max, offset + max);
}
