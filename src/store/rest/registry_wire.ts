/**
 * The client side of the registry's wire format: `RegisteredModel` and `ModelVersion` messages
 * back to entities. Absent strings stay unset and "" stays "", as the server sent them.
 */
import type { ModelVersion, RegisteredModel } from "../../registry_model.ts";
import type { Json } from "./rest_http.ts";
import { list, obj, optInt, ShapeError, str, tagsFromWire } from "./rest_wire.ts";

function optStr(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function version(v: unknown, what: string): number {
  const n = Number(str(v, what));
  if (!Number.isInteger(n)) throw new ShapeError(`no version number "${what}"`);
  return n;
}

/** A `ModelVersion` message. */
export function modelVersionFromWire(v: unknown): ModelVersion {
  const o: Json = obj(v, "model_version");
  return {
    name: str(o.name, "model_version.name"),
    version: version(o.version, "model_version.version"),
    creationTimestamp: optInt(o.creation_timestamp),
    lastUpdatedTimestamp: optInt(o.last_updated_timestamp),
    description: optStr(o.description),
    userId: optStr(o.user_id),
    currentStage: optStr(o.current_stage) ?? "None",
    source: optStr(o.source),
    runId: optStr(o.run_id),
    status: optStr(o.status) ?? "READY",
    statusMessage: optStr(o.status_message),
    tags: tagsFromWire(o.tags, "model_version.tags"),
    runLink: optStr(o.run_link),
    aliases: list(o.aliases, "model_version.aliases").map((a, i) => str(a, `aliases[${i}]`)),
  };
}

/** A `RegisteredModel` message. */
export function registeredModelFromWire(v: unknown): RegisteredModel {
  const o: Json = obj(v, "registered_model");
  return {
    name: str(o.name, "registered_model.name"),
    creationTimestamp: optInt(o.creation_timestamp),
    lastUpdatedTimestamp: optInt(o.last_updated_timestamp),
    description: optStr(o.description),
    latestVersions: list(o.latest_versions, "latest_versions").map(modelVersionFromWire),
    tags: tagsFromWire(o.tags, "registered_model.tags"),
    aliases: list(o.aliases, "registered_model.aliases").map((a, i) => {
      const x = obj(a, `aliases[${i}]`);
      return { alias: str(x.alias, `aliases[${i}].alias`), version: version(x.version, "alias") };
    }),
  };
}
