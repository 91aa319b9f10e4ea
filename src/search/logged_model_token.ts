/**
 * Page tokens of `logged-models/search` as MLflow's SQL store writes them: base64 of Python's
 * `json.dumps` of {experiment_ids, filter_string, order_by, offset}, and the same check that a
 * token belongs to the query it is sent with. Byte-identical to MLflow's, so tokens pass between
 * mlt and MLflow. Pure.
 */
import { invalidParam } from "../errors.ts";
import type { LoggedModelOrderBy } from "./logged_model_query.ts";
import { decodePageTokenFields, pyRepr } from "./page_token.ts";

/** What a token is bound to. */
export interface LoggedModelPageQuery {
  experimentIds: string[];
  filter?: string;
  orderBy?: LoggedModelOrderBy[];
}

type Py = string | number | boolean | null | Py[] | { [k: string]: Py };

// Python's json.dumps with its defaults: ", " and ": " separators, non-ASCII as \uXXXX.
function pyJson(v: Py): string {
  if (typeof v === "string") {
    return JSON.stringify(v).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
  }
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(pyJson).join(", ")}]`;
  return `{${Object.entries(v).map(([k, x]) => `${pyJson(k)}: ${pyJson(x)}`).join(", ")}}`;
}

// The order_by list as MLflow's handler hands it to the store (None when empty).
function orderByValue(orderBy: LoggedModelOrderBy[] | undefined): Py {
  if (!orderBy?.length) return null;
  return orderBy.map((o) => ({
    field_name: o.fieldName,
    ascending: o.ascending ?? true,
    dataset_name: o.datasetName || null,
    dataset_digest: o.datasetDigest || null,
  }));
}

/** The token of the page at `offset` of `q`. */
export function encodeLoggedModelToken(q: LoggedModelPageQuery, offset: number): string {
  return btoa(pyJson({
    experiment_ids: q.experimentIds,
    filter_string: q.filter || null,
    order_by: orderByValue(q.orderBy),
    offset: Math.trunc(offset),
  }));
}

// Python's == on JSON values: dicts compare without regard to key order.
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  const ra = a as Record<string, unknown>, rb = b as Record<string, unknown>;
  return ka.length === kb.length && ka.every((k) => k in rb && same(ra[k], rb[k]));
}

// Python's f-string rendering of a token field: str as is, everything else as repr().
function show(v: unknown): string {
  return typeof v === "string" ? v : pyRepr(v ?? null);
}

/** The offset of a token (0 when absent); INVALID_PARAMETER_VALUE when it is not `q`'s. */
export function decodeLoggedModelToken(
  token: string | undefined,
  q: LoggedModelPageQuery,
): number {
  if (!token) return 0;
  const { offset, fields } = decodePageTokenFields(token);
  const ids = fields.experiment_ids ?? null;
  if (!same(ids, q.experimentIds)) {
    throw invalidParam(
      "Experiment IDs in the page token do not match the requested experiment IDs. " +
        `Expected: ${pyRepr(q.experimentIds)}. Found: ${show(ids)}`,
    );
  }
  const filter = fields.filter_string || null;
  if (filter !== (q.filter || null)) {
    throw invalidParam(
      "Filter string in the page token does not match the requested filter string. " +
        `Expected: ${show(q.filter || null)}. Found: ${show(filter)}`,
    );
  }
  const order = fields.order_by || null;
  const expected = orderByValue(q.orderBy);
  if (!same(order, expected)) {
    throw invalidParam(
      "Order by in the page token does not match the requested order by. " +
        `Expected: ${show(expected)}. Found: ${show(order)}`,
    );
  }
  return offset;
}
