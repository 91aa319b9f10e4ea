/**
 * What mlt knows about MLflow's SQL schema (reference §4.1–4.2): the pinned revision, how to judge
 * a database's revision, the columns mlt reads and writes, and the messages of the startup checks.
 * Pure: the DDL itself is the generated mlflow_ddl.ts; all I/O is in connection.ts.
 */
import { MltError } from "../../errors.ts";
import { MLFLOW_VERSION } from "../../version.ts";
import { REVISION_CHAIN, SCHEMA_REVISION } from "./mlflow_ddl.ts";

export { MLFLOW_DDL, SCHEMA_REVISION, SEED_ROWS } from "./mlflow_ddl.ts";
export { MLFLOW_VERSION } from "../../version.ts";

/** How a database's `alembic_version` relates to the pinned revision. */
export type RevisionState = "current" | "older" | "unknown";

/** Classifies a revision: the pinned head, an older one of MLflow's chain, or one mlt never saw. */
export function revisionState(revision: string): RevisionState {
  if (revision === SCHEMA_REVISION) return "current";
  return REVISION_CHAIN.includes(revision) ? "older" : "unknown";
}

/**
 * The columns mlt reads or writes, per table. Newer MLflow releases may add tables and columns
 * (tolerated); a database lacking one of these cannot be used.
 */
export const REQUIRED_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  experiments: [
    "experiment_id",
    "name",
    "artifact_location",
    "lifecycle_stage",
    "creation_time",
    "last_update_time",
  ],
  experiment_tags: ["key", "value", "experiment_id"],
  runs: [
    "run_uuid",
    "name",
    "source_type",
    "source_name",
    "entry_point_name",
    "user_id",
    "status",
    "start_time",
    "end_time",
    "source_version",
    "lifecycle_stage",
    "artifact_uri",
    "experiment_id",
    "deleted_time",
  ],
  metrics: ["key", "value", "timestamp", "run_uuid", "step", "is_nan"],
  latest_metrics: ["key", "value", "timestamp", "step", "is_nan", "run_uuid"],
  params: ["key", "value", "run_uuid"],
  tags: ["key", "value", "run_uuid"],
  datasets: [
    "dataset_uuid",
    "experiment_id",
    "name",
    "digest",
    "dataset_source_type",
    "dataset_source",
    "dataset_schema",
    "dataset_profile",
  ],
  inputs: ["input_uuid", "source_type", "source_id", "destination_type", "destination_id"],
  input_tags: ["input_uuid", "name", "value"],
};

/** The first table or column mlt needs that `columns` (table → its column names) lacks. */
export function missingColumn(columns: ReadonlyMap<string, readonly string[]>): string | undefined {
  for (const [table, needed] of Object.entries(REQUIRED_COLUMNS)) {
    const have = columns.get(table);
    if (!have) return `table "${table}"`;
    const miss = needed.find((c) => !have.includes(c));
    if (miss) return `column "${table}.${miss}"`;
  }
  return undefined;
}

/** MLflow's advice for a database at an older revision. */
export function outOfDateMessage(display: string, uri: string, found: string): string {
  return `Cannot open the database "${display}": its schema is out of date (found revision ` +
    `${found}, but mlt needs ${SCHEMA_REVISION}, the schema of MLflow ${MLFLOW_VERSION}). ` +
    `Take a backup of the database, then run 'mlflow db upgrade ${uri}' with MLflow ` +
    `${MLFLOW_VERSION} to migrate it to that schema.`;
}

/** The warning for a database at a revision mlt does not know (most likely a newer MLflow). */
export function unknownRevisionWarning(display: string, found: string): string {
  return `The database "${display}" has schema revision ${found}, which mlt does not know ` +
    `(it writes revision ${SCHEMA_REVISION}, the schema of MLflow ${MLFLOW_VERSION}); it was ` +
    "probably written by a newer MLflow. Opening it read-only: searches and reads work, every " +
    "write is refused.";
}

/** The error of a write to a database opened read-only. */
export function readOnlyMessage(display: string, found: string): string {
  return `Cannot write to the database "${display}": it is open read-only because its schema ` +
    `revision ${found} is unknown to mlt (which supports ${SCHEMA_REVISION}, MLflow ` +
    `${MLFLOW_VERSION}).`;
}

/** The refusal of a database that holds tables but no `alembic_version`. */
export function notMlflowError(display: string): MltError {
  return new MltError(
    "INVALID_STATE",
    `Cannot open "${display}" as a tracking database: it holds tables but no ` +
      "alembic_version, so it is not an MLflow database (or one older than MLflow 1.0). " +
      "Nothing was written.",
  );
}

/**
 * Judges an existing MLflow database by its revision and columns: an older revision or a missing
 * column is refused (INVALID_STATE); an unknown revision is warned about and gives why the
 * database must stay read-only; the pinned one gives undefined.
 */
export function judgeSchema(
  display: string,
  uri: string,
  revision: string,
  columns: ReadonlyMap<string, readonly string[]>,
  warn: (message: string) => void,
): string | undefined {
  const state = revisionState(revision);
  if (state === "older") {
    throw new MltError("INVALID_STATE", outOfDateMessage(display, uri, revision));
  }
  const missing = missingColumn(columns);
  if (missing) {
    throw new MltError(
      "INVALID_STATE",
      `Cannot open "${display}" as a tracking database: it lacks ${missing} ` +
        `(schema revision ${revision}). Nothing was written.`,
    );
  }
  if (state === "unknown") {
    warn(unknownRevisionWarning(display, revision));
    return readOnlyMessage(display, revision);
  }
  return undefined;
}
