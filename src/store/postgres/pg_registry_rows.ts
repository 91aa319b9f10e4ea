/**
 * Reads and writes of the PostgreSQL registry on one connection or transaction, over MLflow's
 * registry tables (workspace 'default'), with the SQLite registry's SQL (sqlite/registry_sql.ts)
 * in the POSTGRES dialect. The model row is locked (FOR UPDATE) before a new version is numbered,
 * so concurrent servers hand out consecutive numbers.
 */
import type { Tag } from "../../model.ts";
import { DELETED_STAGE, type ModelVersion, type RegisteredModel } from "../../registry_model.ts";
import type { CreateModelVersionRequest } from "../registry.ts";
import { modelNotFound, versionNotFound } from "../registry_rules.ts";
import {
  attachModelExtras,
  attachVersionTags,
  modelFromRow,
  versionFromRow,
} from "../sqlite/registry_rows.ts";
import {
  ALIASES_OF_VERSION,
  latestVersionsSql,
  MODEL_BY_NAME,
  modelExtrasSql,
  STAGES_BY_FIRST_VERSION,
  VERSION_BY_NUMBER,
  versionTagsSql,
  WORKSPACE as WS,
} from "../sqlite/registry_sql.ts";
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
} from "../sqlite/registry_statements.ts";
import { POSTGRES } from "../sqlite/sql.ts";
import type { Q } from "./pg_db.ts";

/** Fills in the tags and aliases of `models`. */
export async function withExtras(s: Q, models: RegisteredModel[]): Promise<RegisteredModel[]> {
  if (models.length === 0) return models;
  const q = modelExtrasSql(models.map((m) => m.name), POSTGRES);
  const [tags, aliases] = await Promise.all([
    s.arrays(q.tags.sql, ...q.tags.params),
    s.arrays(q.aliases.sql, ...q.aliases.params),
  ]);
  attachModelExtras(models, tags, aliases);
  return models;
}

/** Fills in the tags of `versions`. */
export async function withTags(s: Q, versions: ModelVersion[]): Promise<ModelVersion[]> {
  if (versions.length === 0) return versions;
  const q = versionTagsSql(versions.map((v) => [v.name, v.version]), POSTGRES);
  attachVersionTags(versions, await s.arrays(q.sql, ...q.params));
  return versions;
}

/** A registered model with its tags and aliases, or undefined; `lock` holds its row. */
export async function findModel(s: Q, name: string, lock = false) {
  const [row] = await s.arrays(
    MODEL_BY_NAME + (lock ? " FOR UPDATE" : ""),
    WS,
    name,
  );
  return row ? (await withExtras(s, [modelFromRow(row)]))[0] : undefined;
}

/** A registered model; RESOURCE_DOES_NOT_EXIST when absent. */
export async function readModel(s: Q, name: string, lock = false): Promise<RegisteredModel> {
  const m = await findModel(s, name, lock);
  if (!m) throw modelNotFound(name);
  return m;
}

/** A live version with its tags, and its aliases unless `aliases` is false. */
export async function readVersion(s: Q, name: string, version: number, aliases = true) {
  const [row] = await s.arrays(
    VERSION_BY_NUMBER,
    WS,
    name,
    version,
    DELETED_STAGE,
  );
  if (!row) throw versionNotFound(name, version);
  const [v] = await withTags(s, [versionFromRow(row)]);
  if (aliases) {
    v.aliases = (await s.arrays(
      ALIASES_OF_VERSION,
      WS,
      name,
      version,
    )).map((r) => String(r[0]));
  }
  return v;
}

/** The latest version per stage of each model: by stage name, or in first-version order. */
export async function readLatest(s: Q, names: string[], byStage: boolean) {
  const out = new Map<string, ModelVersion[]>(names.map((n) => [n, []]));
  if (names.length === 0) return out;
  const q = latestVersionsSql(names, POSTGRES);
  for (const v of await withTags(s, (await s.arrays(q.sql, ...q.params)).map(versionFromRow))) {
    out.get(v.name)?.push(v);
  }
  if (!byStage) {
    for (const [name, versions] of out) {
      const order = (await s.arrays(STAGES_BY_FIRST_VERSION, WS, name, DELETED_STAGE))
        .map((r) => r[0]);
      versions.sort((a, b) => order.indexOf(a.currentStage) - order.indexOf(b.currentStage));
    }
  }
  return out;
}

/** A registered model as `registered-models/get` answers it. */
export async function readFull(s: Q, name: string): Promise<RegisteredModel> {
  const m = await readModel(s, name);
  return { ...m, latestVersions: (await readLatest(s, [m.name], false)).get(m.name)! };
}

/** Inserts a registered model and its tags. */
export async function insertModel(
  w: Q,
  name: string,
  times: { created: number | null; updated: number | null },
  description: string | undefined,
  tags: Tag[],
): Promise<void> {
  await w.run(
    INSERT_MODEL_SQL,
    name,
    times.created,
    times.updated,
    description ?? null,
    WS,
  );
  for (const t of tags) await setModelTag(w, name, t);
}

/** Moves a model's update time. */
export async function touchModel(w: Q, name: string, now: number): Promise<void> {
  await w.run(TOUCH_MODEL_SQL, now, WS, name);
}

/** Deletes a model and everything of it, children first. */
export async function deleteModelRows(w: Q, name: string): Promise<void> {
  for (
    const table of [
      "model_version_tags",
      "registered_model_aliases",
      "model_versions",
      "registered_model_tags",
      "registered_models",
    ]
  ) await w.run(`DELETE FROM ${table} ${MODEL}`, WS, name);
}

/** Inserts the next version of a model (its row is locked by the caller); its number. */
export async function insertVersion(
  w: Q,
  req: CreateModelVersionRequest,
  tags: Tag[],
  storage: string,
  now: number,
): Promise<number> {
  const max = await w.one<{ v: number | null }>(MAX_VERSION_SQL, WS, req.name);
  const version = Number(max?.v ?? 0) + 1;
  await w.run(INSERT_VERSION_SQL, ...versionRowArgs(req, version, storage, now));
  for (const t of tags) await setVersionTag(w, req.name, version, t);
  await touchModel(w, req.name, now);
  return version;
}

/** Moves a version to `stage` (archiving the others there first when asked), and its model. */
export async function stageVersion(
  w: Q,
  name: string,
  version: number,
  stage: string,
  archive: boolean,
  now: number,
): Promise<void> {
  if (archive) {
    await w.run(ARCHIVE_OTHERS_SQL, now, WS, name, version, stage);
  }
  await w.run(SET_STAGE_SQL, stage, now, WS, name, version);
  await touchModel(w, name, now);
}

/** Deletes a version as MLflow does: its aliases go, a redacted tombstone keeps the number. */
export async function tombstoneVersion(w: Q, name: string, version: number, now: number) {
  await w.run(DELETE_VERSION_ALIASES_SQL, WS, name, version);
  await w.run(TOMBSTONE_SQL, DELETED_STAGE, now, WS, name, version);
  await touchModel(w, name, now);
}

/** Upserts a registered model tag. */
export async function setModelTag(w: Q, name: string, t: Tag): Promise<void> {
  await w.run(SET_MODEL_TAG_SQL, t.key, t.value, name, WS);
}

/** Upserts a model version tag. */
export async function setVersionTag(w: Q, name: string, version: number, t: Tag) {
  await w.run(SET_VERSION_TAG_SQL, t.key, t.value, name, version, WS);
}

/** Points an alias at a version (moving it when it exists). */
export async function setAlias(w: Q, name: string, alias: string, version: number) {
  await w.run(SET_ALIAS_SQL, alias, version, name, WS);
}

/** Runs one of the simple registry statements (`MODEL` / `VERSION` scoped). */
export const SCOPE = { MODEL, VERSION };
