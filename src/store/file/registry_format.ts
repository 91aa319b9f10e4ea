/**
 * The registry's meta.yaml files in MLflow's FileStore format (mlflow 3.17.2): a registered
 * model's `models/<name>/meta.yaml` and a version's `models/<name>/version-<n>/meta.yaml`, written
 * byte for byte as MLflow's PyYAML writes them (pyyaml.ts). Keys mlt does not know, such as
 * deployment-job fields, are kept from the file being replaced. Pure: no I/O.
 */
import type { ModelVersion, RegisteredModel, RegisteredModelAlias } from "../../registry_model.ts";
import { READY } from "../../registry_model.ts";
import { dumpPyYaml, type YamlMap, type YamlScalar } from "./pyyaml.ts";

/** MLflow's workspace of every entity when workspaces are off. */
const WORKSPACE = "default";

function opt(v: string | number | undefined): YamlScalar {
  return v === undefined ? null : v;
}

/**
 * A registered model's meta.yaml. `aliases` is the snapshot MLflow writes beside the aliases
 * folder (readers use the folder); tags and latest versions live elsewhere.
 */
export function registeredModelYaml(
  m: Omit<RegisteredModel, "latestVersions" | "tags">,
  base: Record<string, unknown> = {},
): string {
  const aliases: Record<string, string> = {};
  for (const a of m.aliases) aliases[a.alias] = String(a.version);
  return dumpPyYaml({
    ...keep(base),
    aliases,
    creation_timestamp: opt(m.creationTimestamp),
    deployment_job_id: scalar(base.deployment_job_id),
    deployment_job_state: scalar(base.deployment_job_state),
    description: opt(m.description),
    last_updated_timestamp: opt(m.lastUpdatedTimestamp),
    name: m.name,
    workspace: typeof base.workspace === "string" ? base.workspace : WORKSPACE,
  });
}

/** A model version's meta.yaml; `storageLocation` is what get-download-uri answers. */
export function modelVersionYaml(
  v: ModelVersion,
  storageLocation: string | undefined,
  base: Record<string, unknown> = {},
): string {
  return dumpPyYaml({
    ...keep(base),
    creation_timestamp: opt(v.creationTimestamp),
    current_stage: v.currentStage,
    deployment_job_state: scalar(base.deployment_job_state),
    description: opt(v.description),
    last_updated_timestamp: opt(v.lastUpdatedTimestamp),
    model_id: opt(v.modelId),
    name: v.name,
    run_id: opt(v.runId),
    run_link: opt(v.runLink),
    source: opt(v.source),
    status: v.status,
    status_message: opt(v.statusMessage),
    storage_location: opt(storageLocation),
    user_id: opt(v.userId),
    version: v.version,
    workspace: typeof base.workspace === "string" ? base.workspace : WORKSPACE,
  });
}

// Unknown keys of the replaced file that are plain scalars or mappings of scalars.
function keep(base: Record<string, unknown>): YamlMap {
  const out: YamlMap = {};
  for (const [k, v] of Object.entries(base)) {
    if (v === null || ["string", "number", "boolean"].includes(typeof v)) {
      out[k] = v as YamlScalar;
    } else if (typeof v === "object" && !Array.isArray(v)) {
      const inner = Object.entries(v as Record<string, unknown>);
      if (
        inner.every(([, x]) => x === null || ["string", "number", "boolean"].includes(typeof x))
      ) {
        out[k] = Object.fromEntries(inner) as Record<string, YamlScalar>;
      }
    }
  }
  return out;
}

function scalar(v: unknown): YamlScalar {
  return v === undefined || (v !== null && typeof v === "object") ? null : v as YamlScalar;
}

function optStr(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw new Error(`expected a string, got ${JSON.stringify(v)}`);
}

function optInt(v: unknown): number | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "string" && /^-?\d+$/.test(v)) return Number(v);
  throw new Error(`expected an integer, got ${JSON.stringify(v)}`);
}

/** A registered model's fields from its meta.yaml (tags, aliases and versions come from folders). */
export function registeredModelFromYaml(
  meta: Record<string, unknown>,
): Pick<RegisteredModel, "name" | "creationTimestamp" | "lastUpdatedTimestamp" | "description"> {
  const name = optStr(meta.name);
  if (name === undefined) throw new Error('"name" is missing');
  return {
    name,
    creationTimestamp: optInt(meta.creation_timestamp),
    lastUpdatedTimestamp: optInt(meta.last_updated_timestamp),
    description: optStr(meta.description),
  };
}

/** A version and its storage location from its meta.yaml (tags and aliases come from folders). */
export function modelVersionFromYaml(
  meta: Record<string, unknown>,
): { version: Omit<ModelVersion, "tags" | "aliases">; storageLocation?: string } {
  const name = optStr(meta.name);
  const version = optInt(meta.version);
  if (name === undefined || version === undefined) throw new Error('"name" or "version" missing');
  return {
    version: {
      name,
      version,
      creationTimestamp: optInt(meta.creation_timestamp),
      lastUpdatedTimestamp: optInt(meta.last_updated_timestamp),
      description: optStr(meta.description),
      userId: optStr(meta.user_id),
      currentStage: optStr(meta.current_stage) ?? "None",
      source: optStr(meta.source),
      runId: optStr(meta.run_id),
      status: optStr(meta.status) ?? READY,
      statusMessage: optStr(meta.status_message),
      runLink: optStr(meta.run_link),
      modelId: optStr(meta.model_id),
    },
    storageLocation: optStr(meta.storage_location),
  };
}

/** An alias file's content (the version number as text) → the alias. */
export function aliasFromFile(alias: string, text: string): RegisteredModelAlias | undefined {
  const v = text.trim();
  return /^\d+$/.test(v) ? { alias, version: Number(v) } : undefined;
}
