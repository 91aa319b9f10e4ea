/**
 * Writes of the SQLite registry, each a few statements on the writer inside the caller's
 * transaction (workspace 'default'). Only the database is touched: a group commit may run an op
 * twice (group_commit.ts).
 */
import type { Tag } from "../../model.ts";
import { DELETED_STAGE } from "../../registry_model.ts";
import type { CreateModelVersionRequest } from "../registry.ts";
import type { Statements } from "./connection.ts";
import { WORKSPACE as WS } from "./registry_sql.ts";
import {
  ARCHIVE_OTHERS_SQL,
  DELETE_VERSION_ALIASES_SQL,
  INSERT_MODEL_SQL,
  INSERT_VERSION_SQL,
  MAX_VERSION_SQL,
  MODEL,
  SET_ALIAS_SQL,
  SET_MODEL_TAG_SQL,
  SET_STAGE_SQL,
  SET_VERSION_TAG_SQL,
  TOMBSTONE_SQL,
  TOUCH_MODEL_SQL,
  VERSION,
  versionRowArgs,
} from "./registry_statements.ts";

/** Inserts a registered model and its tags. */
export function insertModel(
  w: Statements,
  name: string,
  now: number,
  description: string | undefined,
  tags: Tag[],
): void {
  w.run(
    INSERT_MODEL_SQL,
    name,
    now,
    now,
    description ?? null,
    WS,
  );
  for (const t of tags) setModelTag(w, name, t);
}

/** Renames a model; its versions, their tags, its tags and aliases follow (ON UPDATE CASCADE). */
export function renameModel(w: Statements, name: string, newName: string, now: number): void {
  w.run(
    `UPDATE registered_models SET name = ?, last_updated_time = ? ${MODEL}`,
    newName,
    now,
    WS,
    name,
  );
  w.run(`UPDATE model_versions SET last_updated_time = ? ${MODEL}`, now, WS, newName);
}

/** Sets a model's description and update time; the number of rows changed. */
export function describeModel(w: Statements, name: string, text: string | undefined, now: number) {
  return w.run(
    `UPDATE registered_models SET description = ?, last_updated_time = ? ${MODEL}`,
    text ?? null,
    now,
    WS,
    name,
  );
}

/** Moves a model's update time. */
export function touchModel(w: Statements, name: string, now: number): void {
  w.run(TOUCH_MODEL_SQL, now, WS, name);
}

/** Deletes a model and everything of it, children first. */
export function deleteModelRows(w: Statements, name: string): void {
  const tables = [
    "model_version_tags",
    "model_versions",
    "registered_model_tags",
    "registered_model_aliases",
    "registered_models",
  ];
  for (const table of tables) w.run(`DELETE FROM ${table} ${MODEL}`, WS, name);
}

/** Inserts the next version of a model (numbers are never reused) and its tags; its number. */
export function insertVersion(
  w: Statements,
  req: CreateModelVersionRequest,
  tags: Tag[],
  storage: string,
  now: number,
): number {
  const max = w.one<{ v: number | null }>(MAX_VERSION_SQL, WS, req.name);
  const version = Number(max?.v ?? 0) + 1;
  w.run(INSERT_VERSION_SQL, ...versionRowArgs(req, version, storage, now));
  for (const t of tags) setVersionTag(w, req.name, version, t);
  touchModel(w, req.name, now);
  return version;
}

/** Sets a version's description and update time. */
export function describeVersion(
  w: Statements,
  name: string,
  version: number,
  text: string | undefined,
  now: number,
): void {
  w.run(
    `UPDATE model_versions SET description = ?, last_updated_time = ? ${VERSION}`,
    text ?? null,
    now,
    WS,
    name,
    version,
  );
}

/** Moves a version to `stage` (archiving the others there first when asked), and its model. */
export function stageVersion(
  w: Statements,
  name: string,
  version: number,
  stage: string,
  archive: boolean,
  now: number,
): void {
  if (archive) {
    w.run(ARCHIVE_OTHERS_SQL, now, WS, name, version, stage);
  }
  w.run(SET_STAGE_SQL, stage, now, WS, name, version);
  touchModel(w, name, now);
}

/** Deletes a version as MLflow does: its aliases go, a redacted tombstone keeps the number. */
export function tombstoneVersion(w: Statements, name: string, version: number, now: number) {
  w.run(DELETE_VERSION_ALIASES_SQL, WS, name, version);
  w.run(TOMBSTONE_SQL, DELETED_STAGE, now, WS, name, version);
  touchModel(w, name, now);
}

/** Upserts a registered model tag. */
export function setModelTag(w: Statements, name: string, t: Tag): void {
  w.run(SET_MODEL_TAG_SQL, t.key, t.value, name, WS);
}

/** Upserts a model version tag. */
export function setVersionTag(w: Statements, name: string, version: number, t: Tag): void {
  w.run(SET_VERSION_TAG_SQL, t.key, t.value, name, version, WS);
}

/** Deletes a tag of a model (`version` undefined) or of a version; absent is fine. */
export function deleteTag(w: Statements, name: string, version: number | undefined, key: string) {
  if (version === undefined) {
    w.run(`DELETE FROM registered_model_tags ${MODEL} AND key = ?`, WS, name, key);
  } else w.run(`DELETE FROM model_version_tags ${VERSION} AND key = ?`, WS, name, version, key);
}

/** Points an alias at a version (moving it when it exists). */
export function setAlias(w: Statements, name: string, alias: string, version: number): void {
  w.run(SET_ALIAS_SQL, alias, version, name, WS);
}

/** Removes an alias; absent is fine. */
export function deleteAlias(w: Statements, name: string, alias: string): void {
  w.run(`DELETE FROM registered_model_aliases ${MODEL} AND alias = ?`, WS, name, alias);
}
