/**
 * Search filters and orders (search/filter.ts, order_by.ts ASTs) → SQL over MLflow's tables, with
 * the semantics of search/match.ts: a missing value never matches (except IS NULL), metrics
 * compare their latest value, NaN only matches `!=`, LIKE is a case-sensitive full match where
 * only `%` and `_` are special, run_name is the `mlflow.runName` tag, and sort keys put NaN, then
 * missing values last in either direction. Every user value is a bound parameter. A run search
 * scans runs or walks the rows of one filter key (RunSearch.driver): same rows, same order.
 * One `Dialect` parameter covers SQLite and PostgreSQL (store/postgres/), which share this file.
 * Pure: builds strings; never touches node:sqlite.
 */
import type { Comparison } from "../../search/filter.ts";
import type { OrderClause } from "../../search/order_by.ts";
import { TAG } from "../../model.ts";
import { MAX_DOUBLE } from "./rows.ts";
import { likeMatcher } from "../../search/match.ts";
import { ILIKE_FUNCTION, useLikeMatcher } from "./sql_functions.ts";

export { ILIKE_FUNCTION } from "./sql_functions.ts";

// Every call of ILIKE is SQL this module writes: its matcher is in place before any runs.
useLikeMatcher(likeMatcher);

/** A value node:sqlite can bind. */
export type SqlValue = string | number | bigint | null;

/** SQL text and its positional parameters. */
export interface Query {
  sql: string;
  params: SqlValue[];
}

/** What differs between the SQL of SQLite and of PostgreSQL (placeholders are `?` in both). */
export interface Dialect {
  readonly name: "sqlite" | "postgres";
  /** `expr LIKE pattern`: case-sensitive, only `%` and `_` special; pushes the bound pattern. */
  like(expr: string, pattern: string, params: SqlValue[]): string;
  /** The same, case-insensitive. */
  ilike(expr: string, pattern: string, params: SqlValue[]): string;
  /** The literal a boolean column (`is_nan`) holds for true. */
  readonly true: string;
  /** The literal for false. */
  readonly false: string;
  /** A subquery of the strings of one bound JSON array (lists share one statement per size). */
  readonly jsonValues: string;
  /** An expression that orders a table's rows as they were written (SQLite's rowid). */
  readonly writeOrder: string;
}

/** SQLite: GLOB for LIKE, mlt's registered function for ILIKE, booleans as 0 and 1. */
export const SQLITE: Dialect = {
  name: "sqlite",
  like: (expr, pattern, params) => {
    params.push(likeToGlob(pattern));
    return `${expr} GLOB ?`;
  },
  ilike: (expr, pattern, params) => {
    params.push(pattern);
    return `${ILIKE_FUNCTION}(${expr}, ?)`;
  },
  true: "1",
  false: "0",
  jsonValues: "SELECT value FROM json_each(?)",
  writeOrder: "rowid",
};

/** PostgreSQL: LIKE and ILIKE with no escape character (MLflow's semantics), real booleans. */
export const POSTGRES: Dialect = {
  name: "postgres",
  like: (expr, pattern, params) => {
    params.push(pattern);
    return `${expr} LIKE ? ESCAPE ''`;
  },
  ilike: (expr, pattern, params) => {
    params.push(pattern);
    return `${expr} ILIKE ? ESCAPE ''`;
  },
  true: "true",
  false: "false",
  // ::text first: postgres.js would otherwise send the JSON text as a JSON string.
  jsonValues: "SELECT jsonb_array_elements_text(?::text::jsonb)",
  // The heap order: rows of these tables are only ever inserted and deleted, never updated.
  writeOrder: "ctid",
};

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
/** A number to bind: ±Infinity as the ±max double MLflow's tables hold. */
export function num(v: unknown): number {
  const n = v as number;
  return n === Infinity ? MAX_DOUBLE : n === -Infinity ? -MAX_DOUBLE : n;
}

/** `expr <comparator> value` for a present value; `params` receives the bound values. */
export function condition(
  expr: string,
  c: Comparison,
  params: SqlValue[],
  d: Dialect = SQLITE,
): string {
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
      return d.like(expr, String(v), params);
    case "ILIKE":
      return d.ilike(expr, String(v), params);
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

const KEYED = {
  metric: { table: "latest_metrics", alias: "m", value: (a: string) => `${a}.value` },
  param: { table: "params", alias: "p", value: (a: string) => `${a}.value` },
  tag: { table: "tags", alias: "t", value: (a: string) => `COALESCE(${a}.value, '')` },
} as const;

type Keyed = keyof typeof KEYED;

function isKeyed(entity: string): entity is Keyed {
  return entity in KEYED;
}

/**
 * The test of a keyed comparison on the row `a` that has its key (undefined when having the key is
 * the whole test). A metric matches on its latest value; NaN (is_nan) fails every test except `!=`.
 */
function keyedCondition(
  c: Comparison,
  a: string,
  params: SqlValue[],
  d: Dialect,
): string | undefined {
  if (c.comparator === "IS NOT NULL") return undefined;
  if (c.entity !== "metric") return condition(KEYED[c.entity as Keyed].value(a), c, params, d);
  params.push(num(c.value));
  if (c.comparator === "!=") return `(${a}.is_nan = ${d.true} OR ${a}.value != ?)`;
  return `${a}.is_nan = ${d.false} AND ${a}.value ${c.comparator} ?`;
}

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

function datasetCondition(c: Comparison, params: SqlValue[], d: Dialect, tail: string): string {
  const base = "SELECT 1 FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id";
  const edge = "i.source_type = 'DATASET' AND i.destination_type = 'RUN' AND " +
    "i.destination_id = r.run_uuid";
  if (c.key === "context") {
    params.push(TAG.datasetContext);
    const join = " JOIN input_tags it ON it.input_uuid = i.input_uuid AND it.name = ?";
    return `EXISTS (${base}${join} WHERE ${edge} AND ${
      condition("it.value", c, params, d)
    }${tail})`;
  }
  const col = c.key === "name" ? "d.name" : "d.digest";
  return `EXISTS (${base} WHERE ${edge} AND ${condition(col, c, params, d)}${tail})`;
}

/**
 * One run filter comparison as a WHERE term over `runs r`. Keyed lookups correlate on `runId`,
 * which may name the driving table's `run_uuid` so that SQLite tests them before fetching the run.
 * `perRow`: subqueries PostgreSQL tests row by row, in the order of the rows (OFFSET 0 keeps its
 * planner from turning them into joins, which would read every row of the key).
 */
export function runCondition(
  c: Comparison,
  params: SqlValue[],
  runId = "r.run_uuid",
  d: Dialect = SQLITE,
  perRow = false,
): string {
  const tail = perRow ? " OFFSET 0" : "";
  if (c.entity === "attribute") return condition(runAttribute(c.key, params), c, params, d);
  if (c.entity === "dataset") return datasetCondition(c, params, d, tail);
  const k = KEYED[c.entity];
  params.push(c.key);
  const exists = `SELECT 1 FROM ${k.table} ${k.alias} WHERE ${k.alias}.run_uuid = ${runId} ` +
    `AND ${k.alias}.key = ?`;
  if (c.comparator === "IS NULL") return `NOT EXISTS (${exists}${tail})`;
  const cond = keyedCondition(c, k.alias, params, d);
  return cond ? `EXISTS (${exists} AND ${cond}${tail})` : `EXISTS (${exists}${tail})`;
}

/**
 * Whether a comparison can drive a run search: it only holds for runs that have a row with its key,
 * so walking that key's rows (the `(key, run_uuid)` primary key) finds every match.
 */
export function canDrive(c: Comparison): boolean {
  return isKeyed(c.entity) && c.comparator !== "IS NULL";
}

export interface SortKey {
  /** 0 for a value, 1 (or 2) for NaN and missing ones; absent when never missing. */
  rank?: string;
  value: string;
  ascending: boolean;
  /** Read from the driving row `d` (the driving comparison's key). */
  driven?: boolean;
}

/**
 * Sort keys of runs; `joins` receives LEFT JOINs (with their parameters in `joinParams`). A key
 * that the driving comparison `drive` names reads its row `d` instead: the same row, joined once.
 */
function runSortKeys(
  order: OrderClause[],
  joins: string[],
  joinParams: SqlValue[],
  drive?: Comparison,
): SortKey[] {
  return order.map((o, i) => {
    let a = `o${i}`;
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
    const k = KEYED[o.entity as Keyed];
    if (drive?.entity === o.entity && drive.key === o.key) a = "d";
    else {
      joins.push(`LEFT JOIN ${k.table} ${a} ON ${a}.run_uuid = r.run_uuid AND ${a}.key = ?`);
      joinParams.push(o.key);
    }
    const missing = `${a}.run_uuid IS NULL`;
    const driven = a === "d";
    if (o.entity === "metric") {
      return {
        rank: `CASE WHEN ${missing} THEN 2 WHEN ${a}.is_nan THEN 1 ELSE 0 END`,
        value: `${a}.value`,
        ascending: o.ascending,
        driven,
      };
    }
    return { rank: missing, value: k.value(a), ascending: o.ascending, driven };
  });
}

/** ORDER BY terms of `keys`, each after its rank. */
export function orderSql(keys: SortKey[]): string {
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
  /**
   * Index in `filter` of a comparison (see canDrive()) whose table drives the query: its key's
   * rows are walked and joined to their runs, instead of scanning every run of the database (runs
   * has no index on experiment_id) and looking the key up for each. Same rows, same order.
   * On PostgreSQL the driving rows are a materialized CTE; its planner joins the rest (or, when
   * the first sort key is the driving metric, a walk of them in that order).
   */
  driver?: number;
  /** The SQL dialect (SQLite by default). */
  dialect?: Dialect;
}

// The run search's membership terms: experiment and lifecycle stage (NULL counts as active). The
// stage test is spelled without COALESCE so that PostgreSQL's planner can use the column's
// statistics: with COALESCE it guessed 0.5% of the runs and chose nested loops over all of them.
function memberTerms(s: RunSearch, params: SqlValue[]): string[] {
  params.push(...s.experimentIds, ...s.stages);
  const stages = `r.lifecycle_stage IN (${s.stages.map(() => "?").join(", ")})`;
  return [
    `r.experiment_id IN (${s.experimentIds.map(() => "?").join(", ")})`,
    s.stages.includes("active") ? `(${stages} OR r.lifecycle_stage IS NULL)` : stages,
  ];
}

/** The ids (`run_uuid`) of one page of a run search, in MLflow's order. */
export function compileRunSearch(s: RunSearch): Query {
  const d = s.dialect ?? SQLITE;
  const drive = s.driver === undefined ? undefined : s.filter[s.driver];
  if (drive && !canDrive(drive)) throw new Error(`cannot drive a run search by ${drive.entity}`);
  const joins: string[] = [];
  const joinParams: SqlValue[] = [];
  const keys = runSortKeys(s.order, joins, joinParams, drive);
  keys.push(
    { rank: "r.start_time IS NULL", value: "r.start_time", ascending: false },
    { value: "r.run_uuid", ascending: true },
  );
  const lead: SqlValue[] = [];
  const where: SqlValue[] = [];
  const terms: string[] = [];
  let head = "";
  let from = "runs r";
  let runId = "r.run_uuid";
  let perRow = false;
  if (drive) {
    const table = KEYED[drive.entity as Keyed].table;
    runId = "d.run_uuid";
    const driveTerms = ["d.key = ?"];
    const driveParams: SqlValue[] = [drive.key];
    const cond = keyedCondition(drive, "d", driveParams, d);
    if (cond) driveTerms.push(cond);
    if (
      d.name === "postgres" && keys[0].driven && cond && drive.entity === "metric" &&
      drive.comparator !== "!="
    ) {
      // The page's first sort key is the driving metric and its rows are all numbers (no NaN,
      // none missing): walk them in that order, look each run up and stop once the page is full
      // (an incremental sort breaks ties), instead of joining every driving row to its run.
      // B4 (10,000 runs, 1,045 driving rows, page of 101): 2.7 instead of 5.9 ms.
      keys[0] = { value: "d.value", ascending: keys[0].ascending };
      // The other tests row by row in that order too: as joins they would read all their rows
      // (after B3's writes PostgreSQL misjudged `params.lr = '0.01'` as rare and hashed all of
      // them: B4 7 → 10 ms).
      perRow = true;
      from = `(SELECT * FROM ${table} d WHERE ${driveTerms.join(" AND ")} ORDER BY ` +
        `d.value${keys[0].ascending ? "" : " DESC"} OFFSET 0) d CROSS JOIN LATERAL ` +
        "(SELECT * FROM runs r WHERE r.run_uuid = d.run_uuid OFFSET 0) r";
      lead.push(...driveParams);
    } else if (d.name === "postgres") {
      // A materialized CTE is PostgreSQL's join-order fence: its planner, misled by correlated
      // columns (a param's key and value), would otherwise start from another filter's rows.
      head = `WITH d AS MATERIALIZED (SELECT * FROM ${table} d WHERE ${driveTerms.join(" AND ")}) `;
      from = "d JOIN runs r ON r.run_uuid = d.run_uuid";
      lead.push(...driveParams);
    } else {
      // CROSS JOIN keeps the driving table outermost: without statistics SQLite cannot tell.
      from = `${table} d CROSS JOIN runs r ON r.run_uuid = d.run_uuid`;
      terms.push(...driveTerms);
      where.push(...driveParams);
    }
  }
  terms.push(...memberTerms(s, where));
  s.filter.forEach((c, i) => {
    if (i !== s.driver) terms.push(runCondition(c, where, runId, d, perRow));
  });
  const sql = `${head}SELECT r.run_uuid AS run_uuid FROM ${from} ${joins.join(" ")} ` +
    `WHERE ${terms.join(" AND ")} ORDER BY ${orderSql(keys)} LIMIT ? OFFSET ?`;
  return { sql, params: [...lead, ...joinParams, ...where, s.limit, s.offset] };
}

/** What compileDriverSample() counts. */
export interface DriverSample {
  /** Rows of the key sampled (fewer than asked: the key has no more). */
  n: number;
  /** Of these, rows of runs the search selects by experiment and lifecycle stage. */
  members: number;
  /** Of these, rows that also pass the comparison. */
  hits: number;
}

/**
 * Counts (DriverSample) over the first `size` rows of the key of `s.filter[i]` in primary key order,
 * that is by run_uuid: a random sample of the runs having that key, as run ids are random.
 */
export function compileDriverSample(s: RunSearch, i: number, size: number): Query {
  const c = s.filter[i];
  const d = s.dialect ?? SQLITE;
  if (!canDrive(c)) throw new Error(`cannot drive a run search by ${c.entity}`);
  const params: SqlValue[] = [];
  const member = memberTerms(s, params).join(" AND ");
  const hit = keyedCondition(c, "d", params, d) ?? d.true;
  params.push(c.key, size);
  // CASE: PostgreSQL sums no booleans. Counts as integers: SQLite's and PostgreSQL's bigint.
  const count = (b: string) => `COALESCE(SUM(CASE WHEN ${b} THEN 1 ELSE 0 END), 0)`;
  const sql = `SELECT count(*) AS n, ${count("m")} AS members, ${count("m AND h")} AS hits ` +
    `FROM (SELECT (${member}) AS m, (${hit}) AS h ` +
    `FROM (SELECT * FROM ${KEYED[c.entity as Keyed].table} WHERE key = ? ORDER BY run_uuid ` +
    "LIMIT ?) d LEFT JOIN runs r ON r.run_uuid = d.run_uuid) x";
  return { sql, params };
}
