/**
 * In-memory `logged-models/search` over parsed queries (logged_model_query.ts): matching,
 * MLflow's order and the page of one offset. A metric comparison holds when any of the model's
 * points of that key (on the given datasets) satisfies it; a metric sort key is the value of the
 * model's latest such point (greatest timestamp, then step, then smallest run id), as MLflow's
 * SQL store orders. Missing values never match and sort last. Pure.
 */
import { LOGGED_MODEL_STATUSES, type LoggedModel, type Metric, type Page } from "../model.ts";
import type { Comparison } from "./filter.ts";
import { compareStrings, testComparison } from "./match.ts";
import { type DatasetFilter, type LoggedModelSortKey, onDatasets } from "./logged_model_query.ts";
import { encodeLoggedModelToken, type LoggedModelPageQuery } from "./logged_model_token.ts";

type Value = string | number | undefined;

function find(list: { key: string; value: string }[], key: string): string | undefined {
  for (const e of list) if (e.key === key) return e.value;
  return undefined;
}

/** A model's value of a canonical attribute (status as its name). */
export function loggedModelAttribute(m: LoggedModel, key: string): Value {
  switch (key) {
    case "name":
      return m.name;
    case "model_id":
      return m.modelId;
    case "model_type":
      return m.modelType;
    case "status":
      return m.status;
    case "source_run_id":
      return m.sourceRunId;
    case "creation_timestamp":
      return m.creationTimestamp;
    case "last_updated_timestamp":
      return m.lastUpdatedTimestamp;
  }
  return undefined;
}

/** True when the model satisfies every comparison, its metrics restricted to `datasets`. */
export function matchLoggedModel(
  m: LoggedModel,
  filter: Comparison[],
  datasets: DatasetFilter[] = [],
): boolean {
  // Datasets without a metric comparison keep the models that have a metric on one of them.
  if (datasets.length && !filter.some((c) => c.entity === "metric")) {
    if (!m.metrics.some((p) => onDatasets(p, datasets))) return false;
  }
  return filter.every((c) => {
    switch (c.entity) {
      case "metric":
        return m.metrics.some((p) =>
          p.key === c.key && onDatasets(p, datasets) && testComparison(c, p.value)
        );
      case "param":
        return testComparison(c, find(m.params, c.key));
      case "tag":
        return testComparison(c, find(m.tags, c.key));
      default:
        return testComparison(c, loggedModelAttribute(m, c.key));
    }
  });
}

/** True when `a` is a later point than `b`: timestamp, then step, then the smaller run id. */
export function isLaterModelPoint(a: Metric, b: Metric): boolean {
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  if (a.step !== b.step) return a.step > b.step;
  return compareStrings(a.runId ?? "", b.runId ?? "") < 0;
}

/** The value a sort key gives a model (status sorts by its integer, as in MLflow's SQL). */
export function sortValue(m: LoggedModel, k: LoggedModelSortKey): Value {
  if (k.entity === "attribute") {
    const v = loggedModelAttribute(m, k.key);
    return k.key === "status" ? LOGGED_MODEL_STATUSES.indexOf(m.status) : v;
  }
  let best: Metric | undefined;
  for (const p of m.metrics) {
    if (p.key !== k.key) continue;
    if (k.datasetName && p.datasetName !== k.datasetName) continue;
    if (k.datasetDigest && p.datasetDigest !== k.datasetDigest) continue;
    if (!best || isLaterModelPoint(p, best)) best = p;
  }
  return best?.value;
}

// 0 = a value, 1 = NaN, 2 = missing: both sort last whatever the direction.
function rank(v: Value): number {
  return v === undefined ? 2 : typeof v === "number" && Number.isNaN(v) ? 1 : 0;
}

/** Compares models by the sort keys (tie-breaks included by parseLoggedModelOrderBy). */
export function compareLoggedModels(
  keys: LoggedModelSortKey[],
): (a: LoggedModel, b: LoggedModel) => number {
  const cache = new WeakMap<LoggedModel, Value[]>();
  const values = (m: LoggedModel) => {
    let v = cache.get(m);
    if (!v) cache.set(m, v = keys.map((k) => sortValue(m, k)));
    return v;
  };
  return (a, b) => {
    const va = values(a), vb = values(b);
    for (let i = 0; i < keys.length; i++) {
      const x = va[i], y = vb[i];
      const ra = rank(x), rb = rank(y);
      if (ra !== rb) return ra - rb;
      if (ra !== 0) continue;
      const c = typeof x === "number" && typeof y === "number"
        ? (x < y ? -1 : x > y ? 1 : 0)
        : compareStrings(String(x), String(y));
      if (c !== 0) return keys[i].ascending ? c : -c;
    }
    return 0;
  };
}

/** One page from `offset` of sorted models; a next token only when more remain. */
export function loggedModelPage<T>(
  items: T[],
  offset: number,
  max: number,
  q: LoggedModelPageQuery,
): Page<T> {
  const end = offset + max;
  const page: Page<T> = { items: items.slice(offset, end) };
  if (end < items.length) page.nextPageToken = encodeLoggedModelToken(q, end);
  return page;
}
