/**
 * Registry rows (registry_sql.ts's MODEL_COLUMNS and VERSION_COLUMNS) → entities: SQL NULL is
 * an unset field, "" stays "" (MLflow's answers tell them apart), tags and aliases arrive as
 * JSON arrays in row order.
 */
import type { Tag } from "../../model.ts";
import type { ModelVersion, RegisteredModel, RegisteredModelAlias } from "../../registry_model.ts";

type Row = Record<string, unknown>;

function str(v: unknown): string | undefined {
  return v === null || v === undefined ? undefined : String(v);
}

function int(v: unknown): number | undefined {
  return v === null || v === undefined ? undefined : Number(v);
}

function pairs(v: unknown): [unknown, unknown][] {
  return typeof v === "string" ? JSON.parse(v) as [unknown, unknown][] : [];
}

function tags(v: unknown): Tag[] {
  return pairs(v).map(([key, value]) => ({
    key: String(key),
    value: value == null ? "" : String(value),
  }));
}

/** A registered model from a MODEL_COLUMNS row, without its latest versions. */
export function modelFromRow(r: Row): RegisteredModel {
  const aliases: RegisteredModelAlias[] = pairs(r.aliases).map(([alias, version]) => ({
    alias: String(alias),
    version: Number(version),
  }));
  return {
    name: String(r.name),
    creationTimestamp: int(r.creation_time),
    lastUpdatedTimestamp: int(r.last_updated_time),
    description: str(r.description),
    latestVersions: [],
    tags: tags(r.tags),
    aliases,
  };
}

/** A model version from a VERSION_COLUMNS row, without its aliases. */
export function versionFromRow(r: Row): ModelVersion {
  return {
    name: String(r.name),
    version: Number(r.version),
    creationTimestamp: int(r.creation_time),
    lastUpdatedTimestamp: int(r.last_updated_time),
    description: str(r.description),
    userId: str(r.user_id),
    currentStage: str(r.current_stage) ?? "None",
    source: str(r.source),
    runId: str(r.run_id),
    status: str(r.status) ?? "READY",
    statusMessage: str(r.status_message),
    tags: tags(r.tags),
    runLink: str(r.run_link),
    aliases: [],
  };
}
