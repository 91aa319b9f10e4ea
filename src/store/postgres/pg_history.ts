/**
 * Pages of one metric's history on PostgreSQL, in O(page) per page: a page resumes after the
 * previous page's last point (a keyset on the history's total order (timestamp, step, value,
 * is_nan), which MLflow's primary key holds once per run and key), so walking 1M points in pages
 * of 25,000 never re-reads or re-sorts what earlier pages returned. The token stays base64 JSON
 * with MLflow's "offset" (an offset-only token still works) plus that cursor.
 */
import type { Metric, Page } from "../../model.ts";
import { decodePageTokenFields, encodePageTokenFields } from "../../search/page_token.ts";
import { historyMetrics } from "../sqlite/rows.ts";
import type { Q } from "./pg_db.ts";

const COLUMNS = "value, is_nan, timestamp, step";
const ORDER = "ORDER BY timestamp, step, value, is_nan";

type Row = [number, boolean, number, number];

/** Every point of one metric, in history order (MLflow's (timestamp, step, value)). */
export async function fullHistory(s: Q, runId: string, key: string): Promise<Metric[]> {
  const rows = await s.arrays(
    `SELECT ${COLUMNS} FROM metrics WHERE run_uuid = ? AND key = ? ${ORDER}`,
    runId,
    key,
  ) as Row[];
  return historyMetrics(key, rows, rows.length);
}

interface Cursor {
  t: number;
  s: number;
  v: number;
  nan: boolean;
}

function cursorOf(f: Record<string, unknown>): Cursor | undefined {
  const a = f.after;
  if (!Array.isArray(a) || a.length !== 4) return undefined;
  const [t, s, v, nan] = a;
  if (!Number.isSafeInteger(t) || !Number.isSafeInteger(s)) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || (nan !== 0 && nan !== 1)) return undefined;
  return { t, s, v, nan: nan === 1 };
}

function nextToken(offset: number, last: Row): string {
  const [value, nan, t, s] = last;
  // Integers beyond 2^53 come back rounded: offset only, then.
  if (!Number.isSafeInteger(t) || !Number.isSafeInteger(s)) {
    return encodePageTokenFields(offset, {});
  }
  return encodePageTokenFields(offset, { after: [t, s, value, nan ? 1 : 0] });
}

/** One page of at most `max` (≥ 1) points of one metric after the page `token` names. */
export async function historyPage(
  s: Q,
  runId: string,
  key: string,
  max: number,
  token: string | undefined,
): Promise<Page<Metric>> {
  const { offset, fields } = decodePageTokenFields(token);
  const c = cursorOf(fields);
  const rows = (c
    ? await s.arrays(
      `SELECT ${COLUMNS} FROM metrics WHERE run_uuid = ? AND key = ? AND ` +
        `(timestamp, step, value, is_nan) > (?, ?, ?, ?) ${ORDER} LIMIT ?`,
      runId,
      key,
      c.t,
      c.s,
      c.v,
      c.nan,
      max + 1,
    )
    : await s.arrays(
      `SELECT ${COLUMNS} FROM metrics WHERE run_uuid = ? AND key = ? ${ORDER} LIMIT ? OFFSET ?`,
      runId,
      key,
      max + 1,
      offset,
    )) as Row[];
  if (rows.length <= max) return { items: historyMetrics(key, rows, rows.length) };
  return {
    items: historyMetrics(key, rows, max),
    nextPageToken: nextToken(offset + max, rows[max - 1]),
  };
}
