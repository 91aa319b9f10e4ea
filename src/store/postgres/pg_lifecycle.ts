/**
 * Transaction bodies of experiment and run lifecycle changes in the PostgreSQL store: a new
 * experiment (its id from MLflow's sequence, so `mlflow server` on the same database never hands
 * out the same id), rename, delete and restore (carrying the runs along), the new run row, and
 * hard deletes.
 */
import { invalidParam, notFound } from "../../errors.ts";
import type { Tag } from "../../model.ts";
import {
  DELETE_EXPERIMENT_SQL,
  INSERT_RUN_SQL,
  type NewRunRow,
  RUN_EXPERIMENT_SQL,
  runExperimentLocation,
  runRowArgs,
} from "../sqlite/run_statements.ts";
import { sqlExperimentId } from "../sqlite/sqlite_reader.ts";
import type { Q } from "./pg_db.ts";
import { isUniqueViolation } from "./pg_errors.ts";
import { deleteModelRows } from "./pg_models.ts";
import {
  checkNameFree,
  deleteRunRows,
  experimentStage,
  nameTaken,
  upsertExperimentTags,
} from "./pg_writer.ts";

const SEQUENCE = "pg_get_serial_sequence('experiments', 'experiment_id')";

/** Fields of an experiment row. */
export interface ExperimentFields {
  name: string;
  location: string;
  stage: string;
  creationTime: number | null;
  lastUpdateTime: number | null;
}

/** Inserts an experiment row with id `id`, and its tags; a taken name is RESOURCE_ALREADY_EXISTS. */
export async function insertExperiment(
  w: Q,
  id: bigint,
  e: ExperimentFields,
  tags: Tag[],
): Promise<void> {
  try {
    await w.run(
      "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, " +
        "creation_time, last_update_time) VALUES (?, ?, ?, ?, ?, ?)",
      id,
      e.name,
      e.location,
      e.stage,
      e.creationTime,
      e.lastUpdateTime,
    );
  } catch (err) {
    // Another server created the same name since checkNameFree() looked.
    if (isUniqueViolation(err, "uq_experiments_workspace_name")) throw nameTaken(e.name, "active");
    throw err;
  }
  await upsertExperimentTags(w, id, tags);
}

/**
 * The id of a new experiment: the next value of MLflow's sequence. An id already in use (rows
 * copied in with their ids by a tool that did not move the sequence) moves the sequence past the
 * highest id first.
 */
export async function nextExperimentId(w: Q): Promise<bigint> {
  const { id } = (await w.one<{ id: string }>(`SELECT nextval(${SEQUENCE})::text AS id`))!;
  if (!await w.one("SELECT 1 FROM experiments WHERE experiment_id = ?", BigInt(id))) {
    return BigInt(id);
  }
  await syncExperimentSequence(w);
  return BigInt((await w.one<{ id: string }>(`SELECT nextval(${SEQUENCE})::text AS id`))!.id);
}

/** Moves MLflow's experiment id sequence past every id in use (after ids were copied in). */
export async function syncExperimentSequence(w: Q): Promise<void> {
  await w.run(
    `SELECT setval(${SEQUENCE}, GREATEST((SELECT COALESCE(max(experiment_id), 0) FROM ` +
      `experiments), (SELECT last_value FROM experiments_experiment_id_seq)))`,
  );
}

/** Creates an experiment with the next id and returns it. */
export async function createExperimentRow(
  w: Q,
  e: Omit<ExperimentFields, "location">,
  location: (id: bigint) => string,
  tags: Tag[],
): Promise<bigint> {
  await checkNameFree(w, e.name);
  const id = await nextExperimentId(w);
  await insertExperiment(w, id, { ...e, location: location(id) }, tags);
  return id;
}

/** The id of an active experiment (for tag changes), locked; 404 or 400 otherwise. */
export async function activeExperimentId(w: Q, experimentId: string): Promise<bigint> {
  const id = sqlExperimentId(experimentId);
  const stage = await experimentStage(w, id);
  if (stage === undefined) throw notFound(`No Experiment with id=${experimentId} exists`);
  if (stage !== "active") {
    throw invalidParam(
      `The experiment ${experimentId} must be in the 'active' lifecycle_stage to set tags`,
    );
  }
  return id;
}

/** Renames an active experiment to a name no other experiment has. */
export async function renameExperimentRow(
  w: Q,
  experimentId: string,
  newName: string,
  now: number,
) {
  const id = sqlExperimentId(experimentId);
  const cur = await w.one<{ name: string; s: string | null }>(
    "SELECT name, lifecycle_stage AS s FROM experiments WHERE experiment_id = ? FOR UPDATE",
    id,
  );
  if (!cur) throw notFound(`No Experiment with id=${experimentId} exists`);
  if ((cur.s ?? "active") !== "active") {
    throw invalidParam(
      `Cannot rename experiment '${experimentId}' in non-active lifecycle stage. ` +
        `Current stage: ${cur.s}`,
    );
  }
  if (cur.name === newName) return;
  await checkNameFree(w, newName);
  try {
    await w.run(
      "UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?",
      newName,
      now,
      id,
    );
  } catch (err) {
    if (isUniqueViolation(err, "uq_experiments_workspace_name")) throw nameTaken(newName, "active");
    throw err;
  }
}

/**
 * Deletes or restores an experiment with its runs. Deleting marks its active runs deleted at
 * `now` (runs deleted before keep their time); restoring brings every run back, as MLflow does.
 */
export async function setExperimentStage(
  w: Q,
  experimentId: string,
  stage: "active" | "deleted",
  now: number,
): Promise<void> {
  const id = sqlExperimentId(experimentId);
  const from = stage === "deleted" ? "active" : "deleted";
  const n = await w.run(
    "UPDATE experiments SET lifecycle_stage = ?, last_update_time = ? WHERE experiment_id = ? " +
      "AND COALESCE(lifecycle_stage, 'active') = ?",
    stage,
    now,
    id,
    from,
  );
  if (n === 0) throw notFound(`No ${from} experiment with id=${experimentId} exists`);
  if (stage === "deleted") {
    await w.run(
      "UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ? WHERE experiment_id = ? " +
        "AND COALESCE(lifecycle_stage, 'active') = 'active'",
      now,
      id,
    );
  } else {
    await w.run(
      "UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL WHERE experiment_id = ?",
      id,
    );
  }
}

/** A new run's row, with MLflow's defaults, in an active experiment (locked meanwhile). */
export async function insertRunRow(
  w: Q,
  r: NewRunRow,
): Promise<void> {
  const id = sqlExperimentId(r.experimentId);
  const exp = id >= -2147483648n && id <= 2147483647n
    ? await w.one<{ s: string | null; loc: string | null }>(`${RUN_EXPERIMENT_SQL} FOR SHARE`, id)
    : undefined;
  await w.run(INSERT_RUN_SQL, ...runRowArgs(r, id, runExperimentLocation(r, exp)));
}

/** Removes an experiment with its runs, models, tags and datasets. */
export async function deleteExperimentRows(w: Q, id: bigint): Promise<void> {
  const runs = await w.all<{ run_uuid: string }>(
    "SELECT run_uuid FROM runs WHERE experiment_id = ?",
    id,
  );
  for (const r of runs) await deleteRunRows(w, r.run_uuid);
  await deleteModelRows(w, "experiment_id = ?", id);
  for (const sql of DELETE_EXPERIMENT_SQL) await w.run(sql, id);
}
