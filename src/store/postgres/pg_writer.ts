/**
 * Write transactions' bodies of the PostgreSQL store, run inside PgDb.write(): the active run
 * check, experiments, run tags, dataset inputs and hard deletes (a log-batch's metrics and params:
 * pg_batch.ts).
 */
import { invalidParam, MltError, notFound } from "../../errors.ts";
import { type DatasetInput, TAG, type Tag } from "../../model.ts";
import {
  datasetRowArgs,
  DELETE_RUN_SQL,
  FIND_DATASET_INPUT_SQL,
  FIND_DATASET_SQL,
  INSERT_DATASET_INPUT_SQL,
  INSERT_DATASET_SQL,
} from "../sqlite/run_statements.ts";
import type { Q } from "./pg_db.ts";

/** The active run check of every run mutation; locks the run row against a concurrent delete. */
export async function activeRun(w: Q, runId: string): Promise<{ experimentId: bigint }> {
  const row = await w.one<{ lifecycle_stage: string | null; experiment_id: string }>(
    "SELECT lifecycle_stage, CAST(experiment_id AS TEXT) AS experiment_id FROM runs " +
      "WHERE run_uuid = ? FOR SHARE",
    runId,
  );
  checkActive(runId, row?.lifecycle_stage, row !== undefined);
  return { experimentId: BigInt(row!.experiment_id) };
}

/** MLflow's errors for a run that is not there or not active (a NULL stage is active). */
export function checkActive(runId: string, stage: string | null | undefined, found: boolean): void {
  if (!found) throw notFound(`Run with id=${runId} not found`);
  if ((stage ?? "active") !== "active") {
    throw invalidParam(
      `The run ${runId} must be in the 'active' state. Current state is ${stage}.`,
    );
  }
}

/** The experiment's lifecycle stage, or undefined when there is none with that id. */
export async function experimentStage(w: Q, id: bigint): Promise<string | undefined> {
  const row = await w.one<{ s: string | null }>(
    "SELECT lifecycle_stage AS s FROM experiments WHERE experiment_id = ?",
    id,
  );
  return row ? row.s ?? "active" : undefined;
}

/** MLflow's error for a name another experiment has. */
export function nameTaken(name: string, stage: string | null | undefined): MltError {
  return new MltError(
    "RESOURCE_ALREADY_EXISTS",
    stage === "deleted"
      ? `Experiment '${name}' already exists in deleted state. You can restore the experiment, ` +
        "or permanently delete it (mlt gc) in order to use this experiment name again."
      : `Experiment '${name}' already exists.`,
  );
}

/** Refuses a name any experiment (active or deleted) already has. */
export async function checkNameFree(w: Q, name: string): Promise<void> {
  const row = await w.one<{ s: string | null }>(
    "SELECT lifecycle_stage AS s FROM experiments WHERE name = ?",
    name,
  );
  if (row) throw nameTaken(name, row.s);
}

/** Upserts experiment tags (the last value of a repeated key wins). */
export async function upsertExperimentTags(w: Q, id: bigint, tags: Tag[]): Promise<void> {
  if (tags.length === 0) return;
  const last = lastByKey(tags);
  await w.run(
    "INSERT INTO experiment_tags (key, value, experiment_id) SELECT k, v, ? FROM " +
      "unnest(?::text[], ?::text[]) AS x(k, v) ON CONFLICT (key, experiment_id) DO UPDATE SET " +
      "value = excluded.value",
    id,
    last.map((t) => t.key),
    last.map((t) => t.value),
  );
}

// One entry per key, the last one written, in key order (a fixed lock order between writers).
function lastByKey(tags: Tag[]): Tag[] {
  const m = new Map<string, Tag>();
  for (const t of tags) m.set(t.key, t);
  return [...m.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Upserts run tags; `mlflow.runName` also renames the run (runs.name). */
export async function upsertRunTags(w: Q, runId: string, tags: Tag[]): Promise<void> {
  if (tags.length === 0) return;
  const last = lastByKey(tags);
  await w.run(
    "INSERT INTO tags (key, value, run_uuid) SELECT k, v, ? FROM unnest(?::text[], ?::text[]) " +
      "AS x(k, v) ON CONFLICT (key, run_uuid) DO UPDATE SET value = excluded.value",
    runId,
    last.map((t) => t.key),
    last.map((t) => t.value),
  );
  const name = last.find((t) => t.key === TAG.runName);
  if (name) await w.run("UPDATE runs SET name = ? WHERE run_uuid = ?", name.value, runId);
}

/**
 * Attaches datasets to a run: one `datasets` row per (experiment, name, digest), reused when it
 * exists; one `inputs` edge per dataset and run, with its input tags, added only once.
 */
export async function insertInputs(
  w: Q,
  runId: string,
  experimentId: bigint,
  inputs: DatasetInput[],
  newId: () => string,
): Promise<void> {
  for (const input of inputs) {
    const d = input.dataset;
    const found = await w.one<{ u: string }>(
      FIND_DATASET_SQL,
      experimentId,
      d.name,
      d.digest,
    );
    let uuid = found?.u;
    if (!uuid) {
      uuid = newId();
      await w.run(INSERT_DATASET_SQL, ...datasetRowArgs(uuid, experimentId, d));
    }
    const edge = await w.one(FIND_DATASET_INPUT_SQL, uuid, runId);
    if (edge) continue;
    const inputUuid = newId();
    await w.run(INSERT_DATASET_INPUT_SQL, inputUuid, uuid, runId);
    for (const t of input.tags ?? []) {
      await w.run(
        "INSERT INTO input_tags (input_uuid, name, value) VALUES (?, ?, ?) " +
          "ON CONFLICT (input_uuid, name) DO UPDATE SET value = excluded.value",
        inputUuid,
        t.key,
        t.value,
      );
    }
  }
}

/** Removes a run and every row that belongs to it. */
export async function deleteRunRows(w: Q, runId: string): Promise<void> {
  for (const sql of DELETE_RUN_SQL) await w.run(sql, runId);
}
