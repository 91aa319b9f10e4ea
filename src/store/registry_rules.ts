/**
 * What every registry store shares: MLflow's errors for missing models, versions and aliases,
 * the search limits, and the stage-transition rule. Pure: no I/O.
 */
import { invalidParam, MltError, notFound } from "../errors.ts";
import { ACTIVE_STAGES, canonicalStage, type Stage } from "../registry_model.ts";
import {
  DEFAULT_MODELS_PER_PAGE,
  DEFAULT_VERSIONS_PER_PAGE,
  MAX_MODELS_PER_PAGE,
  MAX_VERSIONS_PER_PAGE,
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

/** `max_results` of a registered model search: MLflow's default and upper bound. */
export function modelsPerPage(n: number | undefined): number {
  const max = n ?? DEFAULT_MODELS_PER_PAGE;
  if (!Number.isInteger(max) || max < 0) {
    throw invalidParam(
      `Invalid value for max_results. It must be a positive integer, but got ${max}`,
    );
  }
  if (max > MAX_MODELS_PER_PAGE) {
    throw invalidParam(
      "Invalid value for request parameter max_results. It must be at most " +
        `${MAX_MODELS_PER_PAGE}, but got value ${max}`,
    );
  }
  return max;
}

/** `max_results` of a model version search: 1 to 200,000. */
export function versionsPerPage(n: number | undefined): number {
  const max = n ?? DEFAULT_VERSIONS_PER_PAGE;
  if (!Number.isInteger(max) || max < 1) {
    throw invalidParam(
      `Invalid value for max_results. It must be a positive integer, but got ${max}`,
    );
  }
  if (max > MAX_VERSIONS_PER_PAGE) {
    throw invalidParam(
      "Invalid value for request parameter max_results. It must be at most " +
        `${MAX_VERSIONS_PER_PAGE}, but got value ${max}`,
    );
  }
  return max;
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
