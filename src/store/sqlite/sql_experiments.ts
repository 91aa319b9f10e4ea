/**
 * Experiment search filters and orders (search/filter.ts, order_by.ts ASTs) → SQL over
 * `experiments e` and `experiment_tags`, in either dialect of sql.ts; every user value bound.
 * Pure: builds strings.
 */
import type { Comparison } from "../../search/filter.ts";
import type { OrderClause } from "../../search/order_by.ts";
import {
  condition,
  type Dialect,
  orderSql,
  type Query,
  type SortKey,
  SQLITE,
  type SqlValue,
} from "./sql.ts";

// The experiment attributes a filter or an order may name (search/filter.ts checks them first).
const EXPERIMENT_ATTRIBUTES = new Set([
  "name",
  "experiment_id",
  "creation_time",
  "last_update_time",
]);

function experimentAttribute(key: string): string {
  if (!EXPERIMENT_ATTRIBUTES.has(key)) throw new Error(`unknown experiment attribute ${key}`);
  return `e.${key}`;
}

/** One experiment filter comparison as a WHERE term over `experiments e`. */
export function experimentCondition(
  c: Comparison,
  params: SqlValue[],
  d: Dialect = SQLITE,
): string {
  if (c.entity !== "tag") return condition(experimentAttribute(c.key), c, params, d);
  params.push(c.key);
  const exists = "SELECT 1 FROM experiment_tags t WHERE t.experiment_id = e.experiment_id " +
    "AND t.key = ?";
  if (c.comparator === "IS NULL") return `NOT EXISTS (${exists})`;
  if (c.comparator === "IS NOT NULL") return `EXISTS (${exists})`;
  return `EXISTS (${exists} AND ${condition("COALESCE(t.value, '')", c, params, d)})`;
}

/** What an experiment search selects from. */
export interface ExperimentSearch {
  stages: string[];
  filter: Comparison[];
  order: OrderClause[];
  limit: number;
  offset: number;
  /** The SQL dialect (SQLite by default). */
  dialect?: Dialect;
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
  for (const c of s.filter) terms.push(experimentCondition(c, params, s.dialect));
  const sql = "SELECT CAST(e.experiment_id AS TEXT) AS experiment_id FROM experiments e " +
    `WHERE ${terms.join(" AND ")} ORDER BY ${orderSql(keys)} LIMIT ? OFFSET ?`;
  return { sql, params: [...params, s.limit, s.offset] };
}
