/**
 * What every registry store shares: MLflow's errors for missing models, versions and aliases,
 * the search limits, the stage-transition rule, `latest` and where a new version's files are.
 */
import { invalidParam, MltError, notFound } from "../errors.ts";
import { ACTIVE_STAGES, canonicalStage, type ModelVersion, type Stage } from "../registry_model.ts";
import { isModelsUri, parseModelUri } from "../registry_uri.ts";
import {
  type CreateModelVersionRequest,
  DEFAULT_MODELS_PER_PAGE,
  DEFAULT_VERSIONS_PER_PAGE,
  MAX_MODELS_PER_PAGE,
  MAX_VERSIONS_PER_PAGE,
  type ModelRegistryStore,
} from "./registry.ts";

/** RESOURCE_DOES_NOT_EXIST for a registered model. */
export function modelNotFound(name: string): MltError {
  return notFound(`Registered Model with name=${name} not found`);
}

/** RESOURCE_DOES_NOT_EXIST for a model version. */
export function versionNotFound(name: string, version: number | string): MltError {
  return notFound(`Model Version (name=${name}, version=${version}) not found`);
}

/** MLflow's answer to an unknown alias (a 400, not a 404). */
export function aliasNotFound(alias: string): MltError {
  return invalidParam(`Registered model alias ${alias} not found.`);
}

/** RESOURCE_DOES_NOT_EXIST for `latest` of a model without live versions. */
export function latestNotFound(name: string): MltError {
  return notFound(`Latest version not found for model ${name}.`);
}

/** RESOURCE_ALREADY_EXISTS, worded as MLflow does when prompts and models collide. */
export function modelExists(name: string, existingIsPrompt = false, newIsPrompt = false) {
  const old = existingIsPrompt ? "Prompt" : "Registered Model";
  const neu = newIsPrompt ? "Prompt" : "Registered Model";
  if (old !== neu) {
    return new MltError(
      "RESOURCE_ALREADY_EXISTS",
      `Tried to create a ${neu.toLowerCase()} with name '${name}', but the name is already ` +
        `taken by a ${old.toLowerCase()}. MLflow does not allow creating a model and a prompt ` +
        "with the same name.",
    );
  }
  return new MltError("RESOURCE_ALREADY_EXISTS", `${neu} (name=${name}) already exists.`);
}

// A search's `max_results`: its default, MLflow's bounds and messages.
function perPage(n: number | undefined, fallback: number, min: number, max: number): number {
  const v = n ?? fallback;
  if (!Number.isInteger(v) || v < min) {
    throw invalidParam(
      `Invalid value for max_results. It must be a positive integer, but got ${v}`,
    );
  }
  if (v > max) {
    throw invalidParam(
      `Invalid value for request parameter max_results. It must be at most ${max}, but got ` +
        `value ${v}`,
    );
  }
  return v;
}

/** `max_results` of a registered model search (0 is allowed, as in MLflow's SQL store). */
export function modelsPerPage(n: number | undefined): number {
  return perPage(n, DEFAULT_MODELS_PER_PAGE, 0, MAX_MODELS_PER_PAGE);
}

/** `max_results` of a model version search: 1 to 200,000. */
export function versionsPerPage(n: number | undefined): number {
  return perPage(n, DEFAULT_VERSIONS_PER_PAGE, 1, MAX_VERSIONS_PER_PAGE);
}

/**
 * The canonical target stage of a transition. Archiving the others is allowed only into an
 * active stage; MLflow answers that mistake with a 500, mlt with INVALID_PARAMETER_VALUE.
 */
export function transitionStage(stage: string, archiveExisting: boolean): Stage {
  const target = canonicalStage(stage);
  if (archiveExisting && !ACTIVE_STAGES.includes(target)) {
    throw invalidParam(
      "Model version transition cannot archive existing model versions because " +
        `'${stage}' is not an Active stage. Valid stages are ['Staging', 'Production']`,
    );
  }
  return target;
}

/** The stages `get-latest-versions` asks for (all four when none are given). */
export function requestedStages(stages: string[] | undefined): Set<string> {
  const all = stages?.length ? stages : ["None", "Staging", "Production", "Archived"];
  return new Set(all.map(canonicalStage));
}

/** The version `latest` names: the highest live one; RESOURCE_DOES_NOT_EXIST when none. */
export async function latestVersion(
  store: Pick<ModelRegistryStore, "getLatestVersions">,
  name: string,
): Promise<ModelVersion> {
  const latest = await store.getLatestVersions(name);
  if (latest.length === 0) throw latestNotFound(name);
  return latest.reduce((a, b) => (b.version > a.version ? b : a));
}

/**
 * Where a new version's files are: the request's storage location, else for a
 * `models:/<name>/<version>` source that version's download URI, else the source.
 */
export async function storageLocation(
  store: Pick<ModelRegistryStore, "getModelVersionDownloadUri">,
  req: CreateModelVersionRequest,
): Promise<string> {
  if (req.storageLocation !== undefined) return req.storageLocation;
  if (isModelsUri(req.source)) {
    const u = parseModelUri(req.source);
    if (u.name !== undefined && u.version !== undefined) {
      return await store.getModelVersionDownloadUri(u.name, u.version);
    }
  }
  return req.source;
}
