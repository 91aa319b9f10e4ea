/**
 * Write transactions' bodies of the SQLite store (reference §4.3), run inside
 * Connections.write(): experiments, runs, the rows of a log-batch (params, metrics with their
 * latest_metrics, tags), dataset inputs and hard deletes. Synchronous, so one transaction never
 * interleaves with another request.
 */
import { invalidParam, MltError, notFound } from "../../errors.ts";
import { type DatasetInput, type Metric, type Param, TAG, type Tag } from "../../model.ts";
import type { Statements } from "./connection.ts";
import {
  encodeMetricValue,
  laterPoint,
  type ParamConflict,
  paramConflictError,
  storedMetricValue,
} from "./rows.ts";
import {
  datasetRowArgs,
  DELETE_EXPERIMENT_SQL,
  DELETE_RUN_SQL,
  FIND_DATASET_INPUT_SQL,
  FIND_DATASET_SQL,
  INSERT_DATASET_INPUT_SQL,
  INSERT_DATASET_SQL,
} from "./run_statements.ts";
import { deleteModelRows, insertModelMetrics } from "./sqlite_models.ts";
import type { SqlValue } from "./sql.ts";

/** The active run check of every run mutation. */
export function activeRun(w: Statements, runId: string): { experimentId: bigint; name: string } {
  const row = w.one<{ lifecycle_stage: string | null; experiment_id: string; name: string }>(
    "SELECT lifecycle_stage, CAST(experiment_id AS TEXT) AS experiment_id, name FROM runs " +
      "WHERE run_uuid = ?",
    runId,
  );
  if (!row) throw notFound(`Run with id=${runId} not found`);
  if ((row.lifecycle_stage ?? "active") !== "active") {
    throw invalidParam(
      `The run ${runId} must be in the 'active' state. Current state is ${row.lifecycle_stage}.`,
    );
  }
  return { experimentId: BigInt(row.experiment_id), name: row.name };
}

/** The experiment's lifecycle stage, or undefined when there is none with that id. */
export function experimentStage(w: Statements, id: bigint): string | undefined {
  const row = w.one<{ s: string | null }>(
    "SELECT lifecycle_stage AS s FROM experiments WHERE experiment_id = ?",
    id,
  );
  return row ? row.s ?? "active" : undefined;
}

/** Refuses a name any experiment (active or deleted) already has. */
export function checkNameFree(w: Statements, name: string): void {
  const row = w.one<{ s: string | null }>(
    "SELECT lifecycle_stage AS s FROM experiments WHERE name = ?",
    name,
  );
  if (!row) return;
  throw new MltError(
    "RESOURCE_ALREADY_EXISTS",
    row.s === "deleted"
      ? `Experiment '${name}' already exists in deleted state. You can restore the experiment, ` +
        "or permanently delete it (mlt gc) in order to use this experiment name again."
      : `Experiment '${name}' already exists.`,
  );
}

/**
 * The id of a new experiment: one above every id in use or ever hard-deleted. SQLite would reuse
 * the id of a purged last experiment (and its artifact directory); mlt keeps the highest purged
 * id in the database header's user_version, which MLflow does not use.
 */
export function nextExperimentId(w: Statements): bigint {
  const max = BigInt(
    w.one<{ m: string | null }>("SELECT CAST(max(experiment_id) AS TEXT) AS m FROM experiments")
      ?.m ?? 0,
  );
  const purged = BigInt(w.one<{ user_version: number }>("PRAGMA user_version")?.user_version ?? 0);
  return (max > purged ? max : purged) + 1n;
}

/** Remembers a purged experiment id so it is never handed out again (see nextExperimentId). */
export function rememberPurgedId(w: Statements, id: bigint): void {
  const purged = w.one<{ user_version: number }>("PRAGMA user_version")?.user_version ?? 0;
  // user_version is a signed 32-bit integer; larger ids are past any id SQLite would hand out.
  if (id > BigInt(purged) && id <= 2147483647n) w.run(`PRAGMA user_version = ${Number(id)}`);
}

/** Inserts an experiment row and its tags. */
export function insertExperiment(
  w: Statements,
  e: {
    id: bigint;
    name: string;
    location: string;
    stage: string;
    creationTime: number | null;
    lastUpdateTime: number | null;
  },
  tags: Tag[],
): void {
  w.run(
    "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, " +
      "creation_time, last_update_time) VALUES (?, ?, ?, ?, ?, ?)",
    e.id,
    e.name,
    e.location,
    e.stage,
    e.creationTime,
    e.lastUpdateTime,
  );
  for (const t of tags) upsertExperimentTag(w, e.id, t);
}

/** Sets (upserts) an experiment tag. */
export function upsertExperimentTag(w: Statements, id: bigint, t: Tag): void {
  w.run(
    "INSERT INTO experiment_tags (key, value, experiment_id) VALUES (?, ?, ?) " +
      "ON CONFLICT (key, experiment_id) DO UPDATE SET value = excluded.value",
    t.key,
    t.value,
    id,
  );
}

/** Sets (upserts) a run tag; `mlflow.runName` also renames the run (runs.name). */
export function upsertRunTag(w: Statements, runId: string, t: Tag): void {
  w.run(
    "INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?) " +
      "ON CONFLICT (key, run_uuid) DO UPDATE SET value = excluded.value",
    t.key,
    t.value,
    runId,
  );
  if (t.key === TAG.runName) w.run("UPDATE runs SET name = ? WHERE run_uuid = ?", t.value, runId);
}

/** Param conflicts of a batch, as MLflow lists them. */
function paramConflicts(w: Statements, runId: string, params: Param[]): Param[] {
  const fresh: Param[] = [];
  const conflicts: ParamConflict[] = [];
  for (const p of params) {
    const old = w.one<{ value: string }>(
      "SELECT value FROM params WHERE run_uuid = ? AND key = ?",
      runId,
      p.key,
    );
    if (!old) fresh.push(p);
    else if (old.value !== p.value) {
      conflicts.push({ key: p.key, old_value: old.value, new_value: p.value });
    }
  }
  if (conflicts.length > 0) throw paramConflictError(runId, conflicts, params.length);
  return fresh;
}

// Points go in as multi-row INSERTs of these many rows (the last ones 10 or 1 at a time, so a
// connection prepares three texts): one call into SQLite per 100 points instead of per point,
// ~15% less time per 1,000-point batch and no result object per point (bench note in
// docs/memory.md).
const METRIC_CHUNKS = [100, 10, 1];
const INSERT_METRICS_SQL = new Map(METRIC_CHUNKS.map((rows) => [
  rows,
  "INSERT OR IGNORE INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES " +
  Array(rows).fill("(?, ?, ?, ?, ?, ?)").join(", "),
]));

/** Inserts metric points (exact duplicates are ignored, as MLflow) and maintains latest_metrics. */
export function insertMetrics(w: Statements, runId: string, metrics: Metric[]): void {
  const best = new Map<string, Metric>();
  for (const m of metrics) {
    const cur = best.get(m.key);
    if (!cur || laterPoint(m, cur)) best.set(m.key, m);
  }
  let i = 0;
  for (const rows of METRIC_CHUNKS) {
    if (i + rows > metrics.length) continue;
    const insert = w.get(INSERT_METRICS_SQL.get(rows)!);
    const args = new Array<SqlValue>(rows * 6);
    for (; i + rows <= metrics.length; i += rows) {
      for (let j = 0; j < rows; j++) {
        const m = metrics[i + j];
        args[6 * j] = m.key;
        args[6 * j + 1] = storedMetricValue(m.value);
        args[6 * j + 2] = m.timestamp;
        args[6 * j + 3] = runId;
        args[6 * j + 4] = m.step;
        args[6 * j + 5] = Number.isNaN(m.value) ? 1 : 0;
      }
      insert.run(...args);
    }
  }
  const upsert = w.get(
    "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) " +
      "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key, run_uuid) DO UPDATE SET " +
      "value = excluded.value, timestamp = excluded.timestamp, step = excluded.step, " +
      "is_nan = excluded.is_nan WHERE (excluded.step, excluded.timestamp, excluded.value) > " +
      "(latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)",
  );
  for (const m of best.values()) {
    const [value, isNan] = encodeMetricValue(m.value);
    upsert.run(m.key, value, m.timestamp, m.step, isNan, runId);
  }
}

/** The rows of one log-batch: params (all or none), metrics, then tags. */
export function writeBatch(
  w: Statements,
  runId: string,
  batch: { params: Param[]; metrics: Metric[]; tags: Tag[] },
): void {
  const { experimentId } = activeRun(w, runId);
  for (const p of paramConflicts(w, runId, batch.params)) {
    w.run("INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)", p.key, p.value, runId);
  }
  if (batch.metrics.length) {
    insertMetrics(w, runId, batch.metrics);
    insertModelMetrics(w, runId, experimentId, batch.metrics);
  }
  for (const t of batch.tags) upsertRunTag(w, runId, t);
}

/**
 * Attaches datasets to a run: one `datasets` row per (experiment, name, digest), reused when it
 * exists; one `inputs` edge per dataset and run, with its input tags, added only once.
 */
export function insertInputs(
  w: Statements,
  runId: string,
  experimentId: bigint,
  inputs: DatasetInput[],
  newId: () => string,
): void {
  for (const input of inputs) {
    const d = input.dataset;
    let uuid = w.one<{ u: string }>(
      FIND_DATASET_SQL,
      experimentId,
      d.name,
      d.digest,
    )?.u;
    if (!uuid) {
      uuid = newId();
      w.run(INSERT_DATASET_SQL, ...datasetRowArgs(uuid, experimentId, d));
    }
    const edge = w.one(FIND_DATASET_INPUT_SQL, uuid, runId);
    if (edge) continue;
    const inputUuid = newId();
    w.run(INSERT_DATASET_INPUT_SQL, inputUuid, uuid, runId);
    for (const t of input.tags ?? []) {
      w.run(
        "INSERT OR REPLACE INTO input_tags (input_uuid, name, value) VALUES (?, ?, ?)",
        inputUuid,
        t.key,
        t.value,
      );
    }
  }
}

/** Removes a run and every row that belongs to it. */
export function deleteRunRows(w: Statements, runId: string): void {
  for (const sql of DELETE_RUN_SQL) w.run(sql, runId);
}

/** Removes an experiment with its runs, tags and datasets. */
export function deleteExperimentRows(w: Statements, id: bigint): void {
  const runs = w.all<{ run_uuid: string }>("SELECT run_uuid FROM runs WHERE experiment_id = ?", id);
  for (const r of runs) deleteRunRows(w, r.run_uuid);
  deleteModelRows(w, "experiment_id = ?", id);
  for (const sql of DELETE_EXPERIMENT_SQL) w.run(sql, id);
  rememberPurgedId(w, id);
}
