/**
 * Reads of the SQLite registry on one connection (reader or writer): a model with its tags and
 * aliases, a live version with its tags (and aliases), the latest version per stage of a page of
 * models. Throws MLflow's not-found errors.
 */
import { DELETED_STAGE, type ModelVersion, type RegisteredModel } from "../../registry_model.ts";
import { modelNotFound, versionNotFound } from "../registry_rules.ts";
import type { Statements } from "./connection.ts";
import {
  attachModelExtras,
  attachVersionTags,
  modelFromRow,
  versionFromRow,
} from "./registry_rows.ts";
import {
  ALIASES_OF_VERSION,
  latestVersionsSql,
  MODEL_BY_NAME,
  modelExtrasSql,
  STAGES_BY_FIRST_VERSION,
  VERSION_BY_NUMBER,
  versionTagsSql,
  WORKSPACE,
} from "./registry_sql.ts";

/** Fills in the tags and aliases of `models` (one query each). */
export function withExtras(s: Statements, models: RegisteredModel[]): RegisteredModel[] {
  if (models.length === 0) return models;
  const q = modelExtrasSql(models.map((m) => m.name));
  const tags = s.arrays(q.tags.sql, ...q.tags.params);
  attachModelExtras(models, tags, s.arrays(q.aliases.sql, ...q.aliases.params));
  return models;
}

/** Fills in the tags of `versions` (one query). */
export function withTags(s: Statements, versions: ModelVersion[]): ModelVersion[] {
  if (versions.length === 0) return versions;
  const q = versionTagsSql(versions.map((v) => [v.name, v.version]));
  attachVersionTags(versions, s.arrays(q.sql, ...q.params));
  return versions;
}

/** A registered model with its tags and aliases, or undefined. */
export function findModel(s: Statements, name: string): RegisteredModel | undefined {
  const [row] = s.arrays(MODEL_BY_NAME, WORKSPACE, name);
  return row ? withExtras(s, [modelFromRow(row)])[0] : undefined;
}

/** A registered model with its tags and aliases; RESOURCE_DOES_NOT_EXIST when absent. */
export function readModel(s: Statements, name: string): RegisteredModel {
  const m = findModel(s, name);
  if (!m) throw modelNotFound(name);
  return m;
}

/** A live version with its tags, and its aliases unless `aliases` is false. */
export function readVersion(s: Statements, name: string, version: number, aliases = true) {
  const [row] = s.arrays(VERSION_BY_NUMBER, WORKSPACE, name, version, DELETED_STAGE);
  if (!row) throw versionNotFound(name, version);
  const [v] = withTags(s, [versionFromRow(row)]);
  if (aliases) {
    v.aliases = s.arrays(ALIASES_OF_VERSION, WORKSPACE, name, version).map((r) => String(r[0]));
  }
  return v;
}

/**
 * The latest version per stage of each model: by stage name (search), or for each model in the
 * order its versions meet the stages (`registered-models/get`), as MLflow answers.
 */
export function readLatest(s: Statements, names: string[], byStage: boolean) {
  const out = new Map<string, ModelVersion[]>(names.map((n) => [n, []]));
  if (names.length === 0) return out;
  const q = latestVersionsSql(names);
  for (const v of withTags(s, s.arrays(q.sql, ...q.params).map(versionFromRow))) {
    out.get(v.name)?.push(v);
  }
  if (!byStage) {
    for (const [name, versions] of out) {
      const order = s.arrays(STAGES_BY_FIRST_VERSION, WORKSPACE, name, DELETED_STAGE)
        .map((r) => r[0]);
      versions.sort((a, b) => order.indexOf(a.currentStage) - order.indexOf(b.currentStage));
    }
  }
  return out;
}

/** A registered model as `registered-models/get` answers it. */
export function readFull(s: Statements, name: string): RegisteredModel {
  const m = readModel(s, name);
  return { ...m, latestVersions: readLatest(s, [m.name], false).get(m.name)! };
}
