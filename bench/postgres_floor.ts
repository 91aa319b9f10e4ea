/**
 * PostgreSQL's own floor under B2 and B4 of bench/postgres_bench.ts: what the cluster alone spends
 * on a workload's unavoidable SQL under MLflow's schema, from one postgres.js connection on
 * loopback, with no HTTP server in between (the least any server on this schema can take, as an
 * empty `Deno.serve` is startup_bench.ts's floor):
 *
 *   B2  the same 1,000-point batches as postgres_bench.ts (10 runs × 100 keys × 1,000 steps), each
 *       ONE statement: the points' INSERT into `metrics` and the keys' upsert of `latest_metrics`,
 *       values bound as arrays. Then again with `metrics_run_uuid_fkey` dropped (on this throwaway
 *       copy only), to show what the foreign key that MLflow's schema checks per point costs.
 *   B4  the driving metric's scan alone: `latest_metrics` rows of `acc` above 0.9, greatest first,
 *       first 100 (no index on a metric's value in MLflow's schema: every `acc` row is read). A
 *       real search also tests `params.lr`, reads the runs and their page; this is below it.
 */
import postgres from "postgres";
import { B2, b2Batches, type B2Point, quantile, T0 } from "./rest_common.ts";

const POINTS_SQL = "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) " +
  "SELECT k, v, t, $1, s, false FROM unnest($2::text[], $3::float8[], $4::int8[], $5::int8[]) " +
  "AS x(k, v, t, s)";
const LATEST_SQL = "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) " +
  "SELECT k, v, t, s, false, $1 FROM unnest($6::text[], $7::float8[], $8::int8[], $9::int8[]) " +
  "AS x(k, v, t, s) ON CONFLICT (key, run_uuid) DO UPDATE SET value = excluded.value, " +
  "timestamp = excluded.timestamp, step = excluded.step WHERE (excluded.step, " +
  "excluded.timestamp, excluded.value) > (latest_metrics.step, latest_metrics.timestamp, " +
  "latest_metrics.value)";
const BATCH_SQL = `WITH m AS (${POINTS_SQL}), l AS (${LATEST_SQL}) SELECT 1`;

const B4_SQL = "SELECT run_uuid, value FROM latest_metrics WHERE key = 'acc' AND value > 0.9 " +
  "ORDER BY value DESC LIMIT 100";

const literal = (xs: (string | number)[]) => `{${xs.join(",")}}`;

/** A connection to the database at `url` (a `postgresql://` URI). */
export function floorConnection(url: string) {
  return postgres(url, { max: 1, onnotice: () => {} });
}
type Sql = ReturnType<typeof floorConnection>;

// `points` points in postgres_bench.ts's batches (b2Batches), within `budgetMs`; points per second.
async function insertAll(sql: Sql, tag: string, points: number, budgetMs: number) {
  const runs: string[] = [];
  let done = 0;
  const t = performance.now();
  for (const { run, metrics } of b2Batches(points)) {
    if (runs[run] === undefined) {
      runs[run] = `floor${tag}${run}`.padEnd(32, "0");
      await sql.unsafe(
        "INSERT INTO runs (run_uuid, name, source_type, status, start_time, lifecycle_stage, " +
          "experiment_id) VALUES ($1, $1, 'LOCAL', 'RUNNING', $2, 'active', 0)",
        [runs[run], T0],
      );
    }
    // Each key's latest point of the batch is its last step.
    const latest = metrics.filter((_, i) => i % B2.stepsPerBatch === B2.stepsPerBatch - 1);
    const columns = (ms: B2Point[]) =>
      [
        ms.map((m) => m.key),
        ms.map((m) => m.value),
        ms.map((m) => m.timestamp),
        ms.map((m) => m.step),
      ].map(literal);
    await sql.unsafe(BATCH_SQL, [runs[run], ...columns(metrics), ...columns(latest)]);
    done += metrics.length;
    if (performance.now() - t > budgetMs) break;
  }
  return done / ((performance.now() - t) / 1000);
}

/**
 * B2's floor on the (throwaway) database at `url`: points per second with MLflow's schema, then
 * with the metrics' foreign key dropped.
 */
export async function floorB2(url: string, points: number, budgetMs: number) {
  const sql = floorConnection(url);
  try {
    const perSec = await insertAll(sql, "a", points, budgetMs);
    await sql.unsafe("ALTER TABLE metrics DROP CONSTRAINT metrics_run_uuid_fkey");
    const withoutFk = await insertAll(sql, "b", points, budgetMs);
    return { perSec, withoutFk };
  } finally {
    await sql.end();
  }
}

/** B4's floor: the driving metric's scan, median ms of 20 after 5 warm-up calls. */
export async function floorB4(url: string): Promise<number> {
  const sql = floorConnection(url);
  try {
    for (let i = 0; i < 5; i++) await sql.unsafe(B4_SQL);
    const samples: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await sql.unsafe(B4_SQL);
      samples.push(performance.now() - t);
    }
    return quantile(samples, 0.5);
  } finally {
    await sql.end();
  }
}
