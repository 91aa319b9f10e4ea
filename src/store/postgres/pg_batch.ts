/**
 * A log-batch's rows on PostgreSQL (writeBatch()): metrics alone in ONE statement (run check and
 * both inserts in one WITH, one round trip), anything else in one transaction; the points of either
 * from `unnest(…)` arrays with a plain INSERT, written again with ON CONFLICT DO NOTHING only when
 * one repeats a stored point (as MLflow); latest_metrics upserted by the greatest (step, timestamp,
 * value); params inserted first and checked after. Concurrent writers of one run never lose a
 * `latest_metrics` update (the upsert's WHERE is evaluated on the locked row) and never both win a
 * param's first write (ON CONFLICT, then a check of what the other wrote).
 */
import { MltError } from "../../errors.ts";
import type { Metric, Param, Tag } from "../../model.ts";
import { encodeMetricValue, laterPoint, paramConflictError } from "../sqlite/rows.ts";
import { pgArray, type PgDb, type Q } from "./pg_db.ts";
import { isUniqueViolation } from "./pg_errors.ts";
import { insertModelMetrics } from "./pg_models.ts";
import { activeRun, checkActive, upsertRunTags } from "./pg_writer.ts";

/** Writes a validated log-batch, all or nothing. */
export async function writeBatch(
  db: PgDb,
  runId: string,
  { params, metrics, tags }: { params: Param[]; metrics: Metric[]; tags: Tag[] },
): Promise<void> {
  const alone = params.length === 0 && tags.length === 0 && !metrics.some((m) => m.modelId);
  const write = (dupes: boolean) =>
    alone
      ? db.writeStatement((q) => logMetricsStatement(q, runId, metrics, dupes))
      : db.write(async (w) => {
        const { experimentId } = await activeRun(w, runId);
        await insertParams(w, runId, params);
        await insertMetrics(w, runId, metrics, dupes);
        await insertModelMetrics(w, runId, experimentId, metrics);
        await upsertRunTags(w, runId, tags);
      });
  // A point logged before (or twice in the batch) fails the plain insert: again, skipping it.
  await write(false).catch((e) =>
    isUniqueViolation(e, "metric_pk") ? write(true) : Promise.reject(e)
  );
}

function conflictError(runId: string, params: Param[], old: Map<string, string>): MltError {
  const conflicts = params.filter((p) => old.has(p.key) && old.get(p.key) !== p.value)
    .map((p) => ({ key: p.key, old_value: old.get(p.key)!, new_value: p.value }));
  return paramConflictError(runId, conflicts, params.length);
}

async function paramValues(w: Q, runId: string, keys: string[]): Promise<Map<string, string>> {
  const rows = await w.all<{ key: string; value: string }>(
    "SELECT key, value FROM params WHERE run_uuid = ? AND key = ANY(?::text[])",
    runId,
    keys,
  );
  return new Map(rows.map((r) => [r.key, r.value]));
}

/**
 * Inserts params: a key already logged with the same value is a no-op, another value refuses the
 * whole batch. The insert goes first (one round trip when every key is new); keys it skipped,
 * logged before or by a concurrent writer, are then checked.
 */
export async function insertParams(w: Q, runId: string, params: Param[]): Promise<void> {
  if (params.length === 0) return;
  const inserted = await w.all<{ key: string }>(
    "INSERT INTO params (key, value, run_uuid) SELECT k, v, ? FROM unnest(?::text[], ?::text[]) " +
      "AS x(k, v) ON CONFLICT DO NOTHING RETURNING key",
    runId,
    params.map((p) => p.key),
    params.map((p) => p.value),
  );
  if (inserted.length === params.length) return;
  const mine = new Set(inserted.map((r) => r.key));
  const rest = params.filter((p) => !mine.has(p.key));
  const old = await paramValues(w, runId, rest.map((p) => p.key));
  if (rest.some((p) => old.get(p.key) !== p.value)) throw conflictError(runId, params, old);
}

// The columns of a batch's points, and of each key's latest point in key order (two batches of one
// run then upsert their keys' rows in the same order: no deadlock), as array literals (pgArray).
function metricColumns(metrics: Metric[]) {
  const n = metrics.length;
  // Booleans as 't'/'f' text, cast in SQL: postgres.js binds a boolean array as one boolean.
  const keys = new Array<string>(n), values = new Array<number>(n), nans = new Array<string>(n);
  const times = new Array<number>(n), steps = new Array<number>(n);
  const best = new Map<string, number>(); // each key's latest point (laterPoint), by index
  metrics.forEach((m, i) => {
    const [value, isNan] = encodeMetricValue(m.value);
    keys[i] = m.key;
    values[i] = value;
    nans[i] = isNan === 1 ? "t" : "f";
    times[i] = m.timestamp;
    steps[i] = m.step;
    const cur = best.get(m.key);
    if (cur === undefined || laterPoint(m, metrics[cur])) best.set(m.key, i);
  });
  const latest = [...best.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([, i]) => i);
  const cols = [keys, values, times, steps, nans];
  return {
    points: cols.map(pgArray),
    latest: cols.map((col) => pgArray(latest.map((i) => col[i]))),
  };
}

const UNNEST =
  "unnest(?::text[], ?::float8[], ?::int8[], ?::int8[], ?::text[]) AS x(k, v, t, s, n)";

// The points' INSERT (args: run id, then the five columns); `where` filters its rows.
const insertPoints = (where: string, dupes: boolean) =>
  "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) SELECT k, v, t, ?, s, " +
  `n::bool FROM ${UNNEST}${where}${dupes ? " ON CONFLICT DO NOTHING" : ""}`;

// The latest values' upsert: a stored value is replaced only by a later (step, timestamp, value).
const upsertLatest = (where: string) =>
  "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) " +
  `SELECT k, v, t, s, n::bool, ? FROM ${UNNEST}${where} ON CONFLICT (key, run_uuid) DO UPDATE ` +
  "SET value = excluded.value, timestamp = excluded.timestamp, step = excluded.step, " +
  "is_nan = excluded.is_nan WHERE (excluded.step, excluded.timestamp, excluded.value) > " +
  "(latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)";

/**
 * Inserts metric points and maintains latest_metrics. As MLflow, the points go in with a plain
 * INSERT first (`dupes` false): an exact repeat of a stored point (the whole row is the primary
 * key) fails it with a unique violation on `metric_pk`, and the caller then runs the transaction
 * again with `dupes` true, where repeats are skipped (ON CONFLICT DO NOTHING, which costs every
 * point a speculative insertion, ~15% of a batch).
 */
export async function insertMetrics(
  w: Q,
  runId: string,
  metrics: Metric[],
  dupes: boolean,
): Promise<void> {
  if (metrics.length === 0) return;
  const { points, latest } = metricColumns(metrics);
  // Both statements at once: postgres.js pipelines them on the transaction's connection.
  await Promise.all([
    w.run(insertPoints("", dupes), runId, ...points),
    w.run(upsertLatest(""), runId, ...latest),
  ]);
}

const IF_ACTIVE = " WHERE EXISTS (SELECT 1 FROM r WHERE stage = 'active')";
// The run's stage (locked against a concurrent delete, as activeRun), then both inserts when it
// is active. The foreign-key checks of the points run at the end of this statement, after
// set_config() asked for generic plans for the rest of its (implicit) transaction, as write().
const METRICS_STATEMENT = (dupes: boolean) =>
  "WITH r AS (SELECT COALESCE(lifecycle_stage, 'active') AS stage, " +
  "set_config('plan_cache_mode', 'auto', true) AS mode FROM runs WHERE run_uuid = ? FOR SHARE), " +
  `m AS (${insertPoints(IF_ACTIVE, dupes)}), l AS (${upsertLatest(IF_ACTIVE)}) SELECT stage FROM r`;

/**
 * A batch of metrics alone (the common log-batch and every log-metric) in ONE statement, run
 * with PgDb.writeStatement(): the active run check and both inserts of insertMetrics(), atomic
 * as one statement is, in one round trip.
 */
async function logMetricsStatement(
  q: Q,
  runId: string,
  metrics: Metric[],
  dupes: boolean,
): Promise<void> {
  const { points, latest } = metricColumns(metrics);
  const row = await q.one<{ stage: string }>(
    METRICS_STATEMENT(dupes),
    runId,
    runId,
    ...points,
    runId,
    ...latest,
  );
  checkActive(runId, row?.stage, row !== undefined);
}
