/**
 * The checks every store runs on a `logged-models/search` request before it reads anything:
 * filter, order, datasets, page size (MLflow's default of 100) and page token, experiment ids.
 */
import type { Comparison } from "../search/filter.ts";
import {
  checkDatasetFilters,
  type DatasetFilter,
  type LoggedModelSortKey,
  parseLoggedModelFilter,
  parseLoggedModelOrderBy,
} from "../search/logged_model_query.ts";
import { decodeLoggedModelToken } from "../search/logged_model_token.ts";
import { invalidParam } from "../errors.ts";
import { validateExperimentId } from "../validate.ts";
import type { SearchLoggedModelsRequest } from "./store.ts";

/** MLflow's default page size of a logged-model search. */
export const DEFAULT_LOGGED_MODELS_PAGE = 100;

/** A checked search request. */
export interface ModelSearch {
  /** Experiment ids, without repeats (each model is listed once, as MLflow's SQL store does). */
  experimentIds: string[];
  filter: Comparison[];
  /** Sort keys, MLflow's tie-breaks included. */
  order: LoggedModelSortKey[];
  datasets: DatasetFilter[];
  max: number;
  offset: number;
}

/** Checks a search request; INVALID_PARAMETER_VALUE naming the first problem. */
export function prepareModelSearch(req: SearchLoggedModelsRequest): ModelSearch {
  const filter = parseLoggedModelFilter(req.filter);
  const order = parseLoggedModelOrderBy(req.orderBy);
  const datasets = checkDatasetFilters(req.datasets);
  let max = req.maxResults;
  if (max === undefined || max === 0) max = DEFAULT_LOGGED_MODELS_PAGE;
  else if (!Number.isSafeInteger(max) || max < 0) {
    throw invalidParam(
      `Invalid value ${max} for parameter 'max_results' supplied: it must be a positive integer`,
    );
  }
  const experimentIds = [...new Set(req.experimentIds.map((id) => validateExperimentId(id)))];
  const offset = decodeLoggedModelToken(req.pageToken, req);
  return { experimentIds, filter, order, datasets, max, offset };
}

/** The keys of metrics, params and tags a search reads; "all" metrics for a dataset filter. */
export function searchedKeys(s: ModelSearch): {
  metrics: Set<string> | "all";
  params: Set<string>;
  tags: Set<string>;
} {
  const metrics = new Set<string>(), params = new Set<string>(), tags = new Set<string>();
  for (const c of s.filter) {
    if (c.entity === "param") params.add(c.key);
    else if (c.entity === "tag") tags.add(c.key);
    else if (c.entity === "metric") metrics.add(c.key);
  }
  for (const k of s.order) if (k.entity === "metric") metrics.add(k.key);
  const all = s.datasets.length > 0 && !s.filter.some((c) => c.entity === "metric");
  return { metrics: all ? "all" : metrics, params, tags };
}
