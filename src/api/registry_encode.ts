/**
 * Registry entities as MLflow's server writes them (protobuf JSON in field order): versions as
 * strings, unset fields left out, an empty description kept on versions but dropped on models,
 * as MLflow's `to_proto` does.
 */
import { encodeTags } from "../entity_json.ts";
import type { ModelVersion, RegisteredModel } from "../registry_model.ts";

/** A model version message. */
export function encodeModelVersion(v: ModelVersion): Record<string, unknown> {
  const o: Record<string, unknown> = { name: v.name, version: String(v.version) };
  if (v.creationTimestamp !== undefined) o.creation_timestamp = v.creationTimestamp;
  if (v.lastUpdatedTimestamp !== undefined) o.last_updated_timestamp = v.lastUpdatedTimestamp;
  if (v.userId !== undefined) o.user_id = v.userId;
  o.current_stage = v.currentStage;
  if (v.description !== undefined) o.description = v.description;
  if (v.source !== undefined) o.source = v.source;
  if (v.runId !== undefined) o.run_id = v.runId;
  o.status = v.status;
  if (v.statusMessage) o.status_message = v.statusMessage;
  const tags = encodeTags(v.tags);
  if (tags) o.tags = tags;
  if (v.runLink !== undefined) o.run_link = v.runLink;
  if (v.aliases.length) o.aliases = v.aliases;
  return o;
}

/** A registered model message. */
export function encodeRegisteredModel(m: RegisteredModel): Record<string, unknown> {
  const o: Record<string, unknown> = { name: m.name };
  if (m.creationTimestamp !== undefined) o.creation_timestamp = m.creationTimestamp;
  if (m.lastUpdatedTimestamp) o.last_updated_timestamp = m.lastUpdatedTimestamp;
  if (m.description) o.description = m.description;
  if (m.latestVersions.length) o.latest_versions = m.latestVersions.map(encodeModelVersion);
  const tags = encodeTags(m.tags);
  if (tags) o.tags = tags;
  if (m.aliases.length) {
    o.aliases = m.aliases.map((a) => ({ alias: a.alias, version: String(a.version) }));
  }
  return o;
}
