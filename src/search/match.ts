/** In-memory search over parsed filters: matching, MLflow's sort orders and offset paging. */
import { invalidParam } from "../errors.ts";
import { type Experiment, type Page, type Run, TAG } from "../model.ts";
import type { Comparison, Entity } from "./filter.ts";
import type { OrderClause } from "./order_by.ts";
import { decodePageToken, encodePageToken } from "./page_token.ts";

type Value = string | number | undefined;

/**
 * A full-match SQL LIKE test: `%` is any run of characters, `_` exactly one (code point, newlines
 * included, as in SQL); every other character, `\` too, is literal. No RegExp is ever built.
 */
export function likeMatcher(pattern: string, caseInsensitive: boolean): (s: string) => boolean {
  const fold = caseInsensitive ? (c: string) => c.toLowerCase() : (c: string) => c;
  const p = Array.from(pattern, fold);
  return (s) => {
    const t = Array.from(s, fold);
    // Greedy wildcard match that backtracks only to the last '%': O(|p|·|t|) at worst.
    let i = 0, j = 0, star = -1, mark = 0;
    while (j < t.length) {
      if (i < p.length && p[i] !== "%" && (p[i] === "_" || p[i] === t[j])) {
        i++;
        j++;
      } else if (i < p.length && p[i] === "%") {
        star = i++;
        mark = j;
      } else if (star >= 0) {
        i = star + 1;
        j = ++mark;
      } else {
        return false;
      }
    }
    while (p[i] === "%") i++;
    return i === p.length;
  };
}

const likeCache = new WeakMap<Comparison, (s: string) => boolean>();

function likeFor(c: Comparison): (s: string) => boolean {
  let m = likeCache.get(c);
  if (!m) {
    m = likeMatcher(String(c.value), c.comparator === "ILIKE");
    likeCache.set(c, m);
  }
  return m;
}

/** Applies one comparison to a value; a missing value matches only IS NULL (MLflow). */
export function testComparison(c: Comparison, lhs: Value): boolean {
  if (c.comparator === "IS NULL") return lhs === undefined;
  if (c.comparator === "IS NOT NULL") return lhs !== undefined;
  if (lhs === undefined) return false;
  const v = c.value;
  switch (c.comparator) {
    case "=":
      return lhs === v;
    case "!=":
      return lhs !== v;
    case "<":
      return (lhs as number) < (v as number);
    case "<=":
      return (lhs as number) <= (v as number);
    case ">":
      return (lhs as number) > (v as number);
    case ">=":
      return (lhs as number) >= (v as number);
    case "LIKE":
    case "ILIKE":
      return typeof lhs === "string" && likeFor(c)(lhs);
    case "IN":
      return (v as string[]).includes(lhs as string);
    case "NOT IN":
      return !(v as string[]).includes(lhs as string);
  }
}

function find(list: { key: string; value: string | number }[], key: string): Value {
  for (const e of list) if (e.key === key) return e.value;
  return undefined;
}

/** A run's value for a metric, param, tag or canonical attribute key. */
export function runValue(run: Run, entity: Entity, key: string): Value {
  switch (entity) {
    case "metric":
      return find(run.data.metrics, key);
    case "param":
      return find(run.data.params, key);
    case "tag":
      return find(run.data.tags, key);
    case "dataset":
      return undefined;
  }
  const info = run.info;
  switch (key) {
    case "run_id":
      return info.runId;
    case "run_name":
      // MLflow's SQL store compares the mlflow.runName tag; runs/update keeps both in step.
      return find(run.data.tags, TAG.runName) ?? info.runName;
    case "user_id":
      return info.userId;
    case "status":
      return info.status;
    case "artifact_uri":
      return info.artifactUri;
    case "start_time":
      return info.startTime;
    case "end_time":
      return info.endTime;
  }
  return undefined;
}

// A run matches a dataset comparison when any of its dataset inputs does (MLflow).
function matchDataset(run: Run, c: Comparison): boolean {
  return run.inputs.datasetInputs.some((di) =>
    c.key === "context"
      ? di.tags.some((t) => t.key === TAG.datasetContext && testComparison(c, t.value))
      : testComparison(c, c.key === "name" ? di.dataset.name : di.dataset.digest)
  );
}

/** True when the run satisfies every comparison of the filter. */
export function matchRun(run: Run, filter: Comparison[]): boolean {
  return filter.every((c) =>
    c.entity === "dataset"
      ? matchDataset(run, c)
      : testComparison(c, runValue(run, c.entity, c.key))
  );
}

/** An experiment's value for a tag or attribute key. */
export function experimentValue(exp: Experiment, entity: Entity, key: string): Value {
  if (entity === "tag") return find(exp.tags, key);
  switch (key) {
    case "name":
      return exp.name;
    case "experiment_id":
      return exp.experimentId;
    case "creation_time":
      return exp.creationTime;
    case "last_update_time":
      return exp.lastUpdateTime;
  }
  return undefined;
}

/** True when the experiment satisfies every comparison of the filter. */
export function matchExperiment(exp: Experiment, filter: Comparison[]): boolean {
  return filter.every((c) => testComparison(c, experimentValue(exp, c.entity, c.key)));
}

/** Orders strings by code point, as Python does (JS `<` compares UTF-16 units). */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i), y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (astral code points) must sort after U+E000..U+FFFF.
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

// Experiment ids that are integers compare numerically (MLflow's SQL store; its FileStore compares
// strings, which puts "10" before "9") and before other ids, which compare as strings: a total order.
function compareIds(a: string, b: string): number {
  const ia = /^\d+$/.test(a), ib = /^\d+$/.test(b);
  if (ia && ib) {
    const x = BigInt(a), y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return ia !== ib ? (ia ? -1 : 1) : compareStrings(a, b);
}

// 0 = a value, 1 = NaN, 2 = missing: NaN and missing sort last whatever the direction.
function rank(v: Value): number {
  return v === undefined ? 2 : typeof v === "number" && Number.isNaN(v) ? 1 : 0;
}

function compareValues(a: Value, b: Value, clause: OrderClause): number {
  const ra = rank(a), rb = rank(b);
  if (ra !== rb || ra !== 0) return ra - rb;
  let c: number;
  if (typeof a === "number" && typeof b === "number") c = a < b ? -1 : a > b ? 1 : 0;
  else if (clause.key === "experiment_id" && clause.entity === "attribute") {
    c = compareIds(String(a), String(b));
  } else c = compareStrings(String(a), String(b));
  return clause.ascending ? c : -c;
}

function comparator<T extends object>(
  clauses: OrderClause[],
  value: (item: T, c: OrderClause) => Value,
): (a: T, b: T) => number {
  // Sort keys are computed once per item: a sort calls the comparator O(n log n) times.
  const cache = new WeakMap<T, Value[]>();
  const keys = (item: T) => {
    let k = cache.get(item);
    if (!k) {
      k = clauses.map((c) => value(item, c));
      cache.set(item, k);
    }
    return k;
  };
  return (a, b) => {
    const ka = keys(a), kb = keys(b);
    for (let i = 0; i < clauses.length; i++) {
      const c = compareValues(ka[i], kb[i], clauses[i]);
      if (c !== 0) return c;
    }
    return 0;
  };
}

const RUN_TIE_BREAKS: OrderClause[] = [
  { entity: "attribute", key: "start_time", ascending: false },
  { entity: "attribute", key: "run_id", ascending: true },
];

/** Compares runs by the clauses, then start_time DESC and run_id ASC as MLflow does. */
export function compareRuns(order: OrderClause[]): (a: Run, b: Run) => number {
  return comparator<Run>([...order, ...RUN_TIE_BREAKS], (r, c) => runValue(r, c.entity, c.key));
}

/**
 * Compares experiments: by default creation_time DESC, experiment_id ASC; given clauses get
 * MLflow's experiment_id DESC tie-break unless they name experiment_id.
 */
export function compareExperiments(order: OrderClause[]): (a: Experiment, b: Experiment) => number {
  const id = (ascending: boolean): OrderClause => ({
    entity: "attribute",
    key: "experiment_id",
    ascending,
  });
  const clauses = order.length === 0
    ? [{ entity: "attribute", key: "creation_time", ascending: false } as OrderClause, id(true)]
    : order.some((c) => c.entity === "attribute" && c.key === "experiment_id")
    ? order
    : [...order, id(false)];
  return comparator<Experiment>(clauses, (e, c) => experimentValue(e, c.entity, c.key));
}

/** One page of `items` from the token's offset; a next token only when more items remain. */
export function paginate<T>(items: T[], maxResults: number, pageToken?: string): Page<T> {
  if (!Number.isSafeInteger(maxResults) || maxResults < 1) {
    throw invalidParam(
      `Invalid value ${maxResults} for parameter 'max_results' supplied: it must be a positive ` +
        "integer",
    );
  }
  const offset = decodePageToken(pageToken);
  const end = offset + maxResults;
  const page: Page<T> = { items: items.slice(offset, end) };
  if (end < items.length) page.nextPageToken = encodePageToken(end);
  return page;
}

/** The keys a search reads, so a store can load only those (run_name also reads its tag). */
export function referencedKeys(filter: Comparison[], order: OrderClause[]): {
  metrics: Set<string>;
  params: Set<string>;
  tags: Set<string>;
  datasets: boolean;
  attributes: Set<string>;
} {
  const out = {
    metrics: new Set<string>(),
    params: new Set<string>(),
    tags: new Set<string>(),
    datasets: false,
    attributes: new Set<string>(),
  };
  for (const { entity, key } of [...filter, ...order]) {
    if (entity === "metric") out.metrics.add(key);
    else if (entity === "param") out.params.add(key);
    else if (entity === "tag") out.tags.add(key);
    else if (entity === "dataset") out.datasets = true;
    else {
      out.attributes.add(key);
      if (key === "run_name") out.tags.add(TAG.runName);
    }
  }
  return out;
}
