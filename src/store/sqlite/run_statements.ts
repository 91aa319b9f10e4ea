/**
 * The pure parts of run and dataset writes, the same in both SQL dialects (SQLite's
 * sqlite_lifecycle.ts and sqlite_writer.ts, PostgreSQL's pg_lifecycle.ts and pg_writer.ts): SQL
 * text, argument lists and MLflow's checks of a new run's experiment.
 */
import { MltError, notFound } from "../../errors.ts";
import type { DatasetInput, RunInfo } from "../../model.ts";

/** A new run as insertRunRow writes it. */
export interface NewRunRow {
  runId: string;
  experimentId: string;
  name: string;
  userId: string;
  startTime: number;
  artifactUri: (experimentLocation: string) => string;
}

/** The stage (`s`) and artifact location (`loc`) of the experiment `?`. */
export const RUN_EXPERIMENT_SQL =
  "SELECT lifecycle_stage AS s, artifact_location AS loc FROM experiments " +
  "WHERE experiment_id = ?";

/** The artifact location of a new run's experiment (its RUN_EXPERIMENT_SQL row): active only. */
export function runExperimentLocation(
  r: NewRunRow,
  exp: { s: string | null; loc: string | null } | undefined,
): string {
  if (!exp) {
    throw notFound(
      `Could not create run under experiment with ID ${r.experimentId} - no such experiment ` +
        "exists.",
    );
  }
  if ((exp.s ?? "active") !== "active") {
    throw new MltError(
      "INVALID_STATE",
      `Could not create run under non-active experiment with ID ${r.experimentId}.`,
    );
  }
  return exp.loc ?? "";
}

/** Inserts a run with MLflow's defaults (runRowArgs). */
export const INSERT_RUN_SQL =
  "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, " +
  "status, start_time, end_time, source_version, lifecycle_stage, artifact_uri, " +
  "experiment_id, deleted_time) VALUES (?, ?, 'UNKNOWN', '', '', ?, 'RUNNING', ?, NULL, " +
  "'', 'active', ?, ?, NULL)";

/** The values of a new run's row (experiment `id`, its location `loc`), as INSERT_RUN_SQL binds. */
export function runRowArgs(r: NewRunRow, id: bigint, loc: string) {
  return [r.runId, r.name, r.userId, r.startTime, r.artifactUri(loc), id] as const;
}

/** Inserts a run copied from another store as it is (importedRunArgs). */
export const IMPORT_RUN_SQL =
  "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, " +
  "status, start_time, end_time, source_version, lifecycle_stage, artifact_uri, " +
  "experiment_id, deleted_time) VALUES (?, ?, 'UNKNOWN', '', '', ?, ?, ?, ?, '', ?, ?, ?, ?)";

/** The values of a copied run's row (in the experiment `expId`), as IMPORT_RUN_SQL binds them. */
export function importedRunArgs(i: RunInfo, expId: bigint) {
  return [
    i.runId,
    i.runName ?? null,
    i.userId,
    i.status,
    i.startTime ?? null,
    i.endTime ?? null,
    i.lifecycleStage,
    i.artifactUri,
    expId,
    i.lifecycleStage === "deleted" ? i.deletedTime ?? null : null,
  ] as const;
}

/** The uuid (`u`) of a dataset: experiment, name, digest. */
export const FIND_DATASET_SQL =
  "SELECT dataset_uuid AS u FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?";

/** Inserts a dataset (datasetRowArgs). */
export const INSERT_DATASET_SQL =
  "INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, dataset_source_type, " +
  "dataset_source, dataset_schema, dataset_profile) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

/** The values of a dataset's row, as INSERT_DATASET_SQL binds them. */
export function datasetRowArgs(uuid: string, experimentId: bigint, d: DatasetInput["dataset"]) {
  return [
    uuid,
    experimentId,
    d.name,
    d.digest,
    d.sourceType,
    d.source,
    d.schema ?? null,
    d.profile ?? null,
  ] as const;
}

/** A row when the dataset `?` is already an input of the run `?`. */
export const FIND_DATASET_INPUT_SQL =
  "SELECT 1 FROM inputs WHERE source_type = 'DATASET' AND source_id = ? AND " +
  "destination_type = 'RUN' AND destination_id = ?";

/** Makes a dataset an input of a run: input uuid, dataset uuid, run id. */
export const INSERT_DATASET_INPUT_SQL =
  "INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id) " +
  "VALUES (?, 'DATASET', ?, 'RUN', ?)";

/** The statements removing a run and every row of it, each binding the run id. */
export const DELETE_RUN_SQL = [
  ...["metrics", "latest_metrics", "params", "tags"].map((table) =>
    `DELETE FROM ${table} WHERE run_uuid = ?`
  ),
  "DELETE FROM input_tags WHERE input_uuid IN (SELECT input_uuid FROM inputs WHERE " +
  "destination_type = 'RUN' AND destination_id = ?)",
  "DELETE FROM inputs WHERE destination_type = 'RUN' AND destination_id = ?",
  // The run's links to logged models, and the points it logged on them.
  "DELETE FROM inputs WHERE source_type IN ('RUN_INPUT', 'RUN_OUTPUT') AND source_id = ?",
  "DELETE FROM logged_model_metrics WHERE run_id = ?",
  "DELETE FROM runs WHERE run_uuid = ?",
];

/** The statements removing an experiment's own rows once its runs and models are gone. */
export const DELETE_EXPERIMENT_SQL = [
  "logged_model_metrics",
  "experiment_tags",
  "datasets",
  "experiments",
].map((table) => `DELETE FROM ${table} WHERE experiment_id = ?`);
