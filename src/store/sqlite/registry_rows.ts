/**
 * Registry rows (registry_sql.ts's MODEL_COLUMNS and VERSION_COLUMNS, read as arrays: node:sqlite
 * builds row objects ~3x slower) → entities without their tags and aliases (read apart): SQL
 * NULL is an unset field, "" stays "" (MLflow's answers tell them apart).
 */
import type { ModelVersion, RegisteredModel } from "../../registry_model.ts";

type Row = unknown[];

function str(v: unknown): string | undefined {
  return v === null || v === undefined ? undefined : String(v);
}

function int(v: unknown): number | undefined {
  return v === null || v === undefined ? undefined : Number(v);
}

/** A registered model from a MODEL_COLUMNS row. */
export function modelFromRow(r: Row): RegisteredModel {
  return {
    name: String(r[0]),
    creationTimestamp: int(r[1]),
    lastUpdatedTimestamp: int(r[2]),
    description: str(r[3]),
    latestVersions: [],
    tags: [],
    aliases: [],
  };
}

/** A model version from a VERSION_COLUMNS row. */
export function versionFromRow(r: Row): ModelVersion {
  return {
    name: String(r[0]),
    version: Number(r[1]),
    creationTimestamp: int(r[2]),
    lastUpdatedTimestamp: int(r[3]),
    description: str(r[4]),
    userId: str(r[5]),
    currentStage: str(r[6]) ?? "None",
    source: str(r[7]),
    runId: str(r[8]),
    status: str(r[9]) ?? "READY",
    statusMessage: str(r[10]),
    tags: [],
    runLink: str(r[11]),
    aliases: [],
  };
}

/** Fills models' tags and aliases from modelExtrasSql's rows. */
export function attachModelExtras(models: RegisteredModel[], tags: Row[], aliases: Row[]): void {
  const byName = new Map(models.map((m) => [m.name, m]));
  for (const [name, key, value] of tags) {
    byName.get(String(name))?.tags.push({ key: String(key), value: str(value) ?? "" });
  }
  for (const [name, alias, version] of aliases) {
    byName.get(String(name))?.aliases.push({ alias: String(alias), version: Number(version) });
  }
}

/** Fills versions' tags from versionTagsSql's rows. */
export function attachVersionTags(versions: ModelVersion[], rows: Row[]): void {
  const byKey = new Map(versions.map((v) => [`${v.name}\u0000${v.version}`, v]));
  for (const [name, version, key, value] of rows) {
    byKey.get(`${name}\u0000${version}`)?.tags.push({ key: String(key), value: str(value) ?? "" });
  }
}
