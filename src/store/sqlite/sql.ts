/**
 * Search filters and orders (search/filter.ts, order_by.ts ASTs) → SQL over MLflow's tables, with
 * the semantics of search/match.ts: a missing value never matches (except IS NULL), metrics
 * compare their latest value, NaN only matches `!=`, LIKE is a case-sensitive full match where
 * only `%` and `_` are special, run_name is the `mlflow.runName` tag, and sort keys put NaN, then
 * missing values last in either direction. Every user value is a bound parameter.
 * Pure: builds strings; never touches node:sqlite.
 */
import type { Comparison } from "../../search/filter.ts";
import type { OrderClause } from "../../search/order_by.ts";
import { TAG } from "../../model.ts";
import { MAX_DOUBLE } from "./rows.ts";

/** A value node:sqlite can bind. */
export type SqlValue = string | number | bigint | null;

/** SQL text and its positional parameters. */
export interface Query {
  sql: string;
  params: SqlValue[];
}

/** Name of the SQL function the store registers for ILIKE: `mlt_ilike(value, pattern)`. */
export const ILIKE_FUNCTION = "mlt_ilike";

/**
 * A LIKE pattern as a GLOB pattern: GLOB is always case-sensitive and has no escape character,
 * so `*`, `?` and `[` are bracketed to stay literal, `%` → `*` and `_` → `?` (one code point).
 */
export function likeToGlob(pattern: string): string {
  let out = "";
  for (const ch of pattern) {
    if (ch === "%") out += "*";
    else if (ch === "_") out += "?";
    else if (ch === "*" || ch === "?" || ch === "[") out += `[${ch}]`;
    else out += ch;
  }
  return out;
}

// Bound numbers: JS ±Infinity would bind as SQL ±Inf, but the table holds ±max double instead.
function num(v: unknown): number {
  const n = v as number;
  return n === Infinity ? MAX_DOUBLE : n === -Infinity ? -MAX_DOUBLE : n;
}

/** `expr <comparator> value` for a present value; `params` receives the bound values. */
function condition(expr: string, c: Comparison, params: SqlValue[]): string {
  const v = c.value;
  switch (c.comparator) {
    case "=":
    case "!=":
    case "<":
    case "<=":
    case ">":
    case ">=":
      params.push(typeof v === "number" ? num(v) : v as string);
      return `${expr} ${c.comparator} ?`;
    case "LIKE":
      params.push(likeToGlob(String(v)));
      return `${expr} GLOB ?`;
    case "ILIKE":
      params.push(String(v));
      return `${ILIKE_FUNCTION}(${expr}, ?)`;
    case "IN":
    case "NOT IN": {
      const list = v as string[];
      params.push(...list);
      return `${expr} ${c.comparator} (${list.map(() => "?").join(", ")})`;
    }
    case "IS NULL":
    case "IS NOT NULL":
      // Only reachable for keyed entities, which handle these with (NOT) EXISTS.
      return `${expr} ${c.comparator}`;
  }
}

// A metric matches on its latest value; NaN (is_nan) fails every test except `!=`.
function metricCondition(c: Comparison, params: SqlValue[]): string {
  params.push(num(c.value));
  if (c.comparator === "!=") return "(m.is_nan = 1 OR m.value != ?)";
  return `m.is_nan = 0 AND m.value ${c.comparator} ?`;
}

const KEYED = {
  metric: { table: "latest_metrics", alias: "m", value: "m.value" },
  param: { table: "params", alias: "p", value: "p.value" },
  tag: { table: "tags", alias: "t", value: "COALESCE(t.value, '')" },
} as const;

// The SQL value of a run attribute, the same value rows.ts gives the entity.
function runAttribute(key: string, params: SqlValue[]): string {
  switch (key) {
    case "run_id":
      return "r.run_uuid";
    case "run_name":
      params.push(TAG.runName);
      return "COALESCE((SELECT COALESCE(n.value, '') FROM tags n WHERE n.run_uuid = r.run_uuid " +
        "AND n.key = ?), r.name)";
    case "user_id":
      return "COALESCE(r.user_id, '')";
    case "status":
      return "COALESCE(r.status, 'RUNNING')";
    case "artifact_uri":
      return "COALESCE(r.artifact_uri, '')";
    case "start_time":
      return "r.start_time";
    case "end_time":
      return "r.end_time";
  }
  throw new Error(`unknown run attribute ${key}`);
}

function datasetCondition(c: Comparison, params: SqlValue[]): string {
  const base = "SELECT 1 FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id";
  const edge = "i.source_type = 'DATASET' AND i.destination_type = 'RUN' AND " +
    "i.destination_id = r.run_uuid";
  if (c.key === "context") {
    params.push(TAG.datasetContext);
    const join = " JOIN input_tags it ON it.input_uuid = i.input_uuid AND it.name = ?";
    return `EXISTS (${base}${join} WHERE ${edge} AND ${condition("it.value", c, params)})`;
  }
  const col = c.key === "name" ? "d.name" : "d.digest";
  return `EXISTS (${base} WHERE ${edge} AND ${condition(col, c, params)})`;
}

/** One run filter comparison as a WHERE term over `runs r`. */
export function runCondition(c: Comparison, params: SqlValue[]): string {
  if (c.entity === "attribute") return condition(runAttribute(c.key, params), c, params);
  if (c.entity === "dataset") return datasetCondition(c, params);
  const k = KEYED[c.entity];
  params.push(c.key);
  const exists = `SELECT 1 FROM ${k.table} ${k.alias} WHERE ${k.alias}.run_uuid = r.run_uuid ` +
    `AND ${k.alias}.key = ?`;
  if (c.comparator === "IS NULL") return `NOT EXISTS (${exists})`;
  if (c.comparator === "IS NOT NULL") return `EXISTS (${exists})`;
  const cond = c.entity === "metric" ? metricCondition(c, params) : condition(k.value, c, params);
  return `EXISTS (${exists} AND ${cond})`;
}

interface SortKey {
  /** 0 for a value, 1 (or 2) for NaN and missing ones; absent when never missing. */
  rank?: string;
  value: string;
  ascending: boolean;
}

// Sort keys of runs; `joins` receives LEFT JOINs (with their parameters in `joinParams`).
function runSortKeys(order: OrderClause[], joins: string[], joinParams: SqlValue[]): SortKey[] {
  return order.map((o, i) => {
    const a = `o${i}`;
    if (o.entity === "attribute" && o.key === "run_name") {
      // A join, not runAttribute()'s subquery: ORDER BY parameters would bind after WHERE's.
      joins.push(`LEFT JOIN tags ${a} ON ${a}.run_uuid = r.run_uuid AND ${a}.key = ?`);
      joinParams.push(TAG.runName);
      const value = `CASE WHEN ${a}.run_uuid IS NULL THEN r.name ELSE COALESCE(${a}.value, '') END`;
      return { rank: `(${value}) IS NULL`, value, ascending: o.ascending };
    }
    if (o.entity === "attribute") {
      const value = runAttribute(o.key, []);
      return { rank: `${value} IS NULL`, value, ascending: o.ascending };
    }
    const k = KEYED[o.entity as keyof typeof KEYED];
    joins.push(`LEFT JOIN ${k.table} ${a} ON ${a}.run_uuid = r.run_uuid AND ${a}.key = ?`);
    joinParams.push(o.key);
    const missing = `${a}.run_uuid IS NULL`;
    if (o.entity === "metric") {
      return {
        rank: `CASE WHEN ${missing} THEN 2 WHEN ${a}.is_nan THEN 1 ELSE 0 END`,
        value: `${a}.value`,
        ascending: o.ascending,
      };
    }
    const value = o.entity === "tag" ? `COALESCE(${a}.value, '')` : `${a}.value`;
    return { rank: missing, value, ascending: o.ascending };
  });
}

function orderSql(keys: SortKey[]): string {
  const dir = (k: SortKey) => `${k.value}${k.ascending ? "" : " DESC"}`;
  return keys.map((k) => k.rank ? `${k.rank}, ${dir(k)}` : dir(k)).join(", ");
}

/** What a run search selects from. */
export interface RunSearch {
  experimentIds: bigint[];
  stages: string[];
  filter: Comparison[];
  order: OrderClause[];
  limit: number;
  offset: number;
}

/** The ids (`run_uuid`) of one page of a run search, in MLflow's order. */
export function compileRunSearch(s: RunSearch): Query {
  const joins: string[] = [];
  const joinParams: SqlValue[] = [];
  const keys = runSortKeys(s.order, joins, joinParams);
  keys.push(
    { rank: "r.start_time IS NULL", value: "r.start_time", ascending: false },
    { value: "r.run_uuid", ascending: true },
  );
  const where: SqlValue[] = [];
  const terms = [
    `r.experiment_id IN (${s.experimentIds.map(() => "?").join(", ")})`,
    `COALESCE(r.lifecycle_stage, 'active') IN (${s.stages.map(() => "?").join(", ")})`,
  ];
  where.push(...s.experimentIds, ...s.stages);
  for (const c of s.filter) terms.push(runCondition(c, where));
  const sql = `SELECT r.run_uuid AS run_uuid FROM runs r ${joins.join(" ")} ` +
    `WHERE ${terms.join(" AND ")} ORDER BY ${orderSql(keys)} LIMIT ? OFFSET ?`;
  return { sql, params: [...joinParams, ...where, s.limit, s.offset] };
}

function experimentAttribute(key: string): string {
  switch (key) {
    case "name":
      return "e.name";
    case "experiment_id":
      return "e.experiment_id";
    case "creation_time":
      return "e.creation_time";
    case "last_update_time":
      return "e.last_update_time";
  }
  throw new Error(`unknown experiment attribute ${key}`);
}

/** One experiment filter comparison as a WHERE term over `experiments e`. */
export function experimentCondition(c: Comparison, params: SqlValue[]): string {
  if (c.entity !== "tag") return condition(experimentAttribute(c.key), c, params);
  params.push(c.key);
  const exists = "SELECT 1 FROM experiment_tags t WHERE t.experiment_id = e.experiment_id " +
    "AND t.key = ?";
  if (c.comparator === "IS NULL") return `NOT EXISTS (${exists})`;
  if (c.comparator === "IS NOT NULL") return `EXISTS (${exists})`;
  return `EXISTS (${exists} AND ${condition("COALESCE(t.value, '')", c, params)})`;
}

/** What an experiment search selects from. */
export interface ExperimentSearch {
  stages: string[];
  filter: Comparison[];
  order: OrderClause[];
  limit: number;
  offset: number;
}

/**
 * The ids of one page of an experiment search: by default creation_time DESC, experiment_id ASC;
 * given clauses get an experiment_id DESC tie-break unless they name experiment_id (MLflow).
 */
export function compileExperimentSearch(s: ExperimentSearch): Query {
  const key = (k: string, ascending: boolean): SortKey => {
    const value = experimentAttribute(k);
    return { rank: `${value} IS NULL`, value, ascending };
  };
  const keys = s.order.length === 0
    ? [key("creation_time", false), key("experiment_id", true)]
    : s.order.map((o) => key(o.key, o.ascending));
  if (s.order.length > 0 && !s.order.some((o) => o.key === "experiment_id")) {
    keys.push(key("experiment_id", false));
  }
  const params: SqlValue[] = [...s.stages];
  const terms = [
    `COALESCE(e.lifecycle_stage, 'active') IN (${s.stages.map(() => "?").join(", ")})`,
  ];
  for (const c of s.filter) terms.push(experimentCondition(c, params));
  const sql = "SELECT CAST(e.experiment_id AS TEXT) AS experiment_id FROM experiments e " +
    `WHERE ${terms.join(" AND ")} ORDER BY ${orderSql(keys)} LIMIT ? OFFSET ?`;
  return { sql, params: [...params, s.limit, s.offset] };
}
