/**
 * The joins between the model registry and the tracking store's logged models, as MLflow's
 * server makes them: a version made from `models:/m-…` keeps the logged model's artifact
 * location and source run, and a logged model lists the versions made from it in its
 * `mlflow.modelVersions` tag.
 */
import { MltError, notFound } from "../errors.ts";
import type { LoggedModel } from "../model.ts";
import { MODEL_VERSIONS_TAG } from "../registry_model.ts";
import { isModelsUri, parseModelUri } from "../registry_uri.ts";
import type { TrackingStore } from "./store.ts";

/**
 * The logged model a version's source or `model_id` names. An unknown or deleted one is
 * RESOURCE_DOES_NOT_EXIST with MLflow's wording (MLflow's registry answers 500 INTERNAL_ERROR,
 * which its client retries for minutes).
 */
export async function sourceLoggedModel(
  tracking: TrackingStore,
  modelId: string,
  source: string,
): Promise<LoggedModel> {
  try {
    return await tracking.getLoggedModel(modelId);
  } catch (e) {
    if (!(e instanceof MltError) || e.code !== "RESOURCE_DOES_NOT_EXIST") throw e;
    throw notFound(
      `Unable to fetch model from model URI source artifact location '${source}'. ` +
        `Error: ${e.message}`,
    );
  }
}

/** What a new version keeps of the logged model behind it. */
export interface LoggedModelLink {
  /** The logged model's artifact location, for a `models:/m-…` source. */
  storageLocation?: string;
  /** The request's run id, else the logged model's source run. */
  runId?: string;
}

/**
 * MLflow's registry stores on a new version: a `models:/m-…` source is stored with the logged
 * model's artifact location, and a version without a run id takes the source run of the
 * logged model it comes from (`source`'s, else `modelId`'s).
 */
export async function loggedModelLink(
  tracking: TrackingStore,
  source: string,
  runId: string | undefined,
  modelId: string | undefined,
): Promise<LoggedModelLink> {
  const fromSource = isModelsUri(source) ? parseModelUri(source).modelId : undefined;
  if (fromSource !== undefined) {
    const m = await sourceLoggedModel(tracking, fromSource, source);
    return { storageLocation: m.artifactLocation, runId: runId || m.sourceRunId };
  }
  if (!runId && modelId) {
    return { runId: (await sourceLoggedModel(tracking, modelId, source)).sourceRunId };
  }
  return { runId };
}

// Python's json.dumps (", " and ": " separators, non-ASCII escaped), as MLflow writes the tag.
function pyJsonDumps(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pyJsonDumps).join(", ")}]`;
  if (v !== null && typeof v === "object") {
    return `{${
      Object.entries(v).map(([k, x]) => `${pyJsonDumps(k)}: ${pyJsonDumps(x)}`).join(", ")
    }}`;
  }
  return JSON.stringify(v).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

// The entries of an `mlflow.modelVersions` value, or undefined when it is no JSON list.
function versionEntries(value: string): unknown[] | undefined {
  try {
    const parsed = JSON.parse(value);
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

// Python's `==` between a stored entry and {name, version}: same keys, same values and types.
function sameEntry(x: unknown, name: string, version: number): boolean {
  if (x === null || typeof x !== "object" || Array.isArray(x)) return false;
  const keys = Object.keys(x).sort();
  const e = x as { name?: unknown; version?: unknown };
  return keys.join() === "name,version" && e.name === name && e.version === version;
}

/**
 * MLflow's `set_model_versions_tags`: appends `{"name", "version"}` to the logged model's
 * `mlflow.modelVersions` tag unless it is listed. A value that is not a JSON list is left as
 * it is (MLflow fails with a 500 after the version was created).
 */
export async function recordModelVersion(
  tracking: TrackingStore,
  modelId: string,
  name: string,
  version: number,
): Promise<void> {
  const model = await tracking.getLoggedModel(modelId);
  const existing = model.tags.find((t) => t.key === MODEL_VERSIONS_TAG)?.value;
  let list: unknown[] = [{ name, version }];
  if (existing) {
    const entries = versionEntries(existing);
    if (!entries) return;
    if (entries.some((x) => sameEntry(x, name, version))) list = entries;
    else list = [...entries, ...list];
  }
  await tracking.setLoggedModelTags(modelId, [{
    key: MODEL_VERSIONS_TAG,
    value: pyJsonDumps(list),
  }]);
}
