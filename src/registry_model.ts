/**
 * MLflow's model registry entities in camelCase: registered models, model versions, their tags,
 * aliases and stages. Deployment-job fields are left out: MLflow's server never fills them.
 */
import { invalidParam } from "./errors.ts";
import type { Tag } from "./model.ts";

/** The stages a model version can be in, as MLflow spells them. */
export const STAGES = ["None", "Staging", "Production", "Archived"] as const;
/** A model version's stage. */
export type Stage = typeof STAGES[number];
/** Stages `archive_existing_versions` may move into (MLflow's "active" stages). */
export const ACTIVE_STAGES: readonly Stage[] = ["Staging", "Production"];
/** The stage MLflow gives a deleted model version (it stays as a tombstone). */
export const DELETED_STAGE = "Deleted_Internal";
/** The status of every version mlt creates (registration is synchronous). */
export const READY = "READY";

/** Tag that marks a registered model or version as an MLflow prompt. */
export const PROMPT_TAG = "mlflow.prompt.is_prompt";
/** Logged-model tag listing the registered versions made from it (JSON). */
export const MODEL_VERSIONS_TAG = "mlflow.modelVersions";
/** The alias that always means the highest version. */
export const LATEST_ALIAS = "latest";

/** An alias of a registered model: a name pointing at one version. */
export interface RegisteredModelAlias {
  alias: string;
  version: number;
}

/** One version of a registered model. Optional strings keep "" apart from unset, as MLflow does. */
export interface ModelVersion {
  name: string;
  version: number;
  creationTimestamp?: number;
  lastUpdatedTimestamp?: number;
  description?: string;
  userId?: string;
  currentStage: string;
  source?: string;
  runId?: string;
  status: string;
  statusMessage?: string;
  tags: Tag[];
  runLink?: string;
  aliases: string[];
  /** The logged model the version was made from (kept by the file store only, as MLflow). */
  modelId?: string;
}

/** A registered model with its latest version per stage. */
export interface RegisteredModel {
  name: string;
  creationTimestamp?: number;
  lastUpdatedTimestamp?: number;
  description?: string;
  latestVersions: ModelVersion[];
  tags: Tag[];
  aliases: RegisteredModelAlias[];
}

/** MLflow's spelling of a stage, from any case; INVALID_PARAMETER_VALUE for unknown ones. */
export function canonicalStage(stage: string): Stage {
  const found = STAGES.find((s) => s.toLowerCase() === stage.toLowerCase());
  if (!found) {
    throw invalidParam(
      `Invalid Model Version stage: ${stage}. Value must be one of ${STAGES.join(", ")}.`,
    );
  }
  return found;
}

/** True when `tags` mark a prompt (the last value of the prompt tag wins, as in MLflow). */
export function isPromptTags(tags: readonly Tag[] | undefined): boolean {
  let v: string | undefined;
  for (const t of tags ?? []) if (t.key === PROMPT_TAG) v = t.value;
  return (v ?? "false").toLowerCase() === "true";
}
