/**
 * The SQL text of the registry's writes, the same in both SQL dialects (SQLite's
 * registry_writes.ts, PostgreSQL's pg_registry_rows.ts), with the argument lists that need more
 * than a name: workspace 'default', bound as the parameter after the values set.
 */
import { READY } from "../../registry_model.ts";
import type { CreateModelVersionRequest } from "../registry.ts";
import { WORKSPACE } from "./registry_sql.ts";

/** The rows of one model (workspace, name). */
export const MODEL = "WHERE workspace = ? AND name = ?";
/** The row of one version (workspace, name, version). */
export const VERSION = `${MODEL} AND version = ?`;

/** Inserts a registered model: name, created, updated, description, workspace. */
export const INSERT_MODEL_SQL =
  "INSERT INTO registered_models (name, creation_time, last_updated_time, description, " +
  "workspace) VALUES (?, ?, ?, ?, ?)";

/** Moves a model's update time: time, workspace, name. */
export const TOUCH_MODEL_SQL = `UPDATE registered_models SET last_updated_time = ? ${MODEL}`;

/** The highest version number of a model (`v`, NULL for none): workspace, name. */
export const MAX_VERSION_SQL = `SELECT MAX(version) AS v FROM model_versions ${MODEL}`;

/** Inserts a model version (versionRowArgs). */
export const INSERT_VERSION_SQL =
  "INSERT INTO model_versions (name, version, creation_time, last_updated_time, description, " +
  "user_id, current_stage, source, run_id, status, status_message, run_link, " +
  "storage_location, workspace) VALUES (?, ?, ?, ?, ?, NULL, 'None', ?, ?, ?, NULL, ?, ?, ?)";

/** The values of a new version's row, in INSERT_VERSION_SQL's order. */
export function versionRowArgs(
  req: CreateModelVersionRequest,
  version: number,
  storage: string,
  now: number,
) {
  return [
    req.name,
    version,
    now,
    now,
    req.description ?? null,
    req.source,
    req.runId ?? null,
    READY,
    req.runLink ?? null,
    storage,
    WORKSPACE,
  ] as const;
}

/** Archives the other versions of a model in a stage: time, workspace, name, version, stage. */
export const ARCHIVE_OTHERS_SQL =
  `UPDATE model_versions SET current_stage = 'Archived', last_updated_time = ? ${MODEL} ` +
  "AND version != ? AND current_stage = ?";

/** Moves a version to a stage: stage, time, workspace, name, version. */
export const SET_STAGE_SQL =
  `UPDATE model_versions SET current_stage = ?, last_updated_time = ? ${VERSION}`;

/** Removes the aliases of a version: workspace, name, version. */
export const DELETE_VERSION_ALIASES_SQL = `DELETE FROM registered_model_aliases ${VERSION}`;

/** Redacts a deleted version as MLflow does: stage, time, workspace, name, version. */
export const TOMBSTONE_SQL =
  "UPDATE model_versions SET current_stage = ?, last_updated_time = ?, description = NULL, " +
  "user_id = NULL, source = 'REDACTED-SOURCE-PATH', run_id = 'REDACTED-RUN-ID', " +
  `run_link = 'REDACTED-RUN-LINK', status_message = NULL ${VERSION}`;

/** Upserts a registered model tag: key, value, name, workspace. */
export const SET_MODEL_TAG_SQL =
  "INSERT INTO registered_model_tags (key, value, name, workspace) VALUES (?, ?, ?, ?) " +
  "ON CONFLICT (workspace, key, name) DO UPDATE SET value = excluded.value";

/** Upserts a model version tag: key, value, name, version, workspace. */
export const SET_VERSION_TAG_SQL =
  "INSERT INTO model_version_tags (key, value, name, version, workspace) VALUES " +
  "(?, ?, ?, ?, ?) ON CONFLICT (workspace, key, name, version) DO UPDATE SET " +
  "value = excluded.value";

/** Points an alias at a version: alias, version, name, workspace. */
export const SET_ALIAS_SQL =
  "INSERT INTO registered_model_aliases (alias, version, name, workspace) VALUES " +
  "(?, ?, ?, ?) ON CONFLICT (workspace, name, alias) DO UPDATE SET version = excluded.version";
