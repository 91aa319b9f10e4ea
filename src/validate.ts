/** MLflow's validation rules and limits (reference §7), as pure functions that throw MltError. */
import { invalidParam } from "./errors.ts";
import { randomRunName } from "./ids.ts";
import { type DatasetInput, type Metric, type Param, TAG, type Tag } from "./model.ts";

/** Maximum length of a metric, param or tag key. */
export const MAX_KEY_LENGTH = 250;
/** Maximum length of a param value. */
export const MAX_PARAM_VALUE_LENGTH = 6000;
/** Maximum length of a run tag value. */
export const MAX_TAG_VALUE_LENGTH = 8000;
/** Maximum length of an experiment tag value. */
export const MAX_EXPERIMENT_TAG_VALUE_LENGTH = 5000;
/** Maximum length of an experiment name. */
export const MAX_EXPERIMENT_NAME_LENGTH = 500;
/** Maximum length of an artifact location. */
export const MAX_ARTIFACT_LOCATION_LENGTH = 2048;
/** Batch limits of `log-batch`. */
export const BATCH_LIMITS = { metrics: 1000, params: 100, tags: 100, total: 1000 } as const;
/** Largest `max_results` a search accepts. */
export const MAX_RESULTS_LIMIT = 50000;

// Python's Unicode \w is letters, digits and underscore.
const KEY_CHARS = /^[\/\p{L}\p{N}_.\- :]*$/u;
const RUN_ID = /^[a-zA-Z0-9][\p{L}\p{N}_\-]{0,255}$/u;
const EXPERIMENT_ID = /^[a-zA-Z0-9][\p{L}\p{N}_\-]{0,63}$/u;

/** POSIX normpath as Python's posixpath.normpath computes it. */
export function posixNormpath(p: string): string {
  if (p === "") return ".";
  const initial = p.startsWith("/") ? (p.startsWith("//") && !p.startsWith("///") ? 2 : 1) : 0;
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part !== ".." || (!initial && out.length === 0) || out[out.length - 1] === "..") {
      out.push(part);
    } else if (out.length) out.pop();
  }
  const body = out.join("/");
  return "/".repeat(initial) + body || ".";
}

/**
 * Refuses text that is not well-formed UTF-16: a lone surrogate has no UTF-8 form, so it would be
 * written as a `\uD800` escape that MLflow's YAML reader rejects, or as U+FFFD (a changed value).
 */
export function validateText<T extends string | undefined | null>(v: T, what: string): T {
  if (typeof v === "string" && !v.isWellFormed()) {
    throw invalidParam(
      `Invalid value for '${what}': it contains a lone UTF-16 surrogate, which is not text ` +
        `(${JSON.stringify(v.slice(0, 100))})`,
    );
  }
  return v;
}

/** Checks a metric, param or tag key; `what` names it in the message ("Param key", "Metric name"…). */
export function validateKey(key: unknown, what = "key"): string {
  if (typeof key !== "string") {
    throw invalidParam(`Missing value for required parameter '${what}'.`);
  }
  if (!KEY_CHARS.test(key)) {
    throw invalidParam(
      `Invalid value ${JSON.stringify(key)} for parameter '${what}' supplied: names may only ` +
        "contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) " +
        "and slashes (/).",
    );
  }
  // Without a slash a key is its own normal form (but "" is "."): no split and join per point.
  const norm = key.includes("/") || key === "" ? posixNormpath(key) : key;
  if (norm !== key || norm === "." || norm.startsWith("..") || norm.startsWith("/")) {
    throw invalidParam(
      `Invalid value ${JSON.stringify(key)} for parameter '${what}' supplied: names are stored ` +
        `as file paths and must not resolve to another name (this one resolves to "${norm}").`,
    );
  }
  if (key.length > MAX_KEY_LENGTH) {
    throw invalidParam(`'${what}' exceeds the maximum length of ${MAX_KEY_LENGTH} characters`);
  }
  return key;
}

/** Checks a value's length; over the limit it is truncated (MLflow's default) or refused. */
export function limitValue(value: string, max: number, what: string, truncate = true): string {
  if (value.length <= max) return value;
  if (truncate) return value.slice(0, max);
  throw invalidParam(`'${what}' exceeds the maximum length of ${max} characters`);
}

/** Checks a param; returns it with its value within MLflow's limit. */
export function validateParam(p: Param, truncate = true): Param {
  validateKey(p.key, "Param key");
  const value = validateText(p.value == null ? "" : String(p.value), "Param value");
  return { key: p.key, value: limitValue(value, MAX_PARAM_VALUE_LENGTH, "Param value", truncate) };
}

/** Checks a run tag; returns it with its value within MLflow's limit. */
export function validateTag(t: Tag, truncate = true): Tag {
  validateKey(t.key, "key");
  const value = validateText(t.value == null ? "" : String(t.value), "Tag value");
  return { key: t.key, value: limitValue(value, MAX_TAG_VALUE_LENGTH, "Tag value", truncate) };
}

/** Checks an experiment tag. */
export function validateExperimentTag(t: Tag): Tag {
  validateKey(t.key, "key");
  const value = validateText(t.value == null ? "" : String(t.value), "value");
  return { key: t.key, value: limitValue(value, MAX_EXPERIMENT_TAG_VALUE_LENGTH, "value", false) };
}

/** Checks a metric point (value numeric, timestamp ≥ 0, integral step). */
export function validateMetric(m: Metric): Metric {
  validateKey(m.key, "Metric name");
  if (typeof m.value !== "number") {
    throw invalidParam(
      `Got invalid value ${
        JSON.stringify(m.value)
      } for metric '${m.key}' (timestamp=${m.timestamp}). ` +
        "Please specify value as a valid double (64-bit floating point)",
    );
  }
  if (!Number.isInteger(m.timestamp) || m.timestamp < 0) {
    throw invalidParam(
      `Got invalid timestamp ${JSON.stringify(m.timestamp)} for metric '${m.key}' ` +
        `(value=${m.value}). Timestamp must be a nonnegative long (64-bit integer)`,
    );
  }
  if (!Number.isInteger(m.step)) {
    throw invalidParam(
      `Got invalid step ${JSON.stringify(m.step)} for metric '${m.key}' (value=${m.value}). ` +
        "Step must be a valid long (64-bit integer).",
    );
  }
  return m;
}

/** A `log-batch` checked whole (limits, then every entry) before anything is written. */
export function validateBatch(
  batch: { metrics?: Metric[]; params?: Param[]; tags?: Tag[] },
  truncate: boolean,
): { params: Param[]; metrics: Metric[]; tags: Tag[] } {
  const rawMetrics = batch.metrics ?? [];
  const rawParams = batch.params ?? [];
  const rawTags = batch.tags ?? [];
  validateBatchLimits(rawMetrics, rawParams, rawTags);
  return {
    params: rawParams.map((p) => validateParam(p, truncate)),
    metrics: rawMetrics.map(validateMetric),
    tags: rawTags.map((t) => validateTag(t, truncate)),
  };
}

/** Checks the batch limits of `log-batch` and refuses duplicate param keys. */
export function validateBatchLimits(metrics: unknown[], params: Param[], tags: unknown[]): void {
  const over = (n: number, max: number, what: string) => {
    if (n > max) {
      throw invalidParam(
        `A batch logging request can contain at most ${max} ${what}. Got ${n} ${what}. ` +
          "Please split up the request across multiple requests and try again.",
      );
    }
  };
  over(metrics.length, BATCH_LIMITS.metrics, "metrics");
  over(params.length, BATCH_LIMITS.params, "params");
  over(tags.length, BATCH_LIMITS.tags, "tags");
  over(metrics.length + params.length + tags.length, BATCH_LIMITS.total, "entities");
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const p of params) (seen.has(p.key) ? dup : seen).add(p.key);
  if (dup.size) {
    throw invalidParam(
      `Duplicate parameter keys have been submitted: ${JSON.stringify([...dup])}. ` +
        "Please ensure the request contains only one param value per param key.",
    );
  }
}

/** True when `id` has the form of a run id. */
export function isRunId(id: string): boolean {
  return RUN_ID.test(id);
}

/** Checks a run id. */
export function validateRunId(id: unknown): string {
  if (typeof id !== "string" || !RUN_ID.test(id)) {
    throw invalidParam(`Invalid run ID: ${JSON.stringify(id)}`);
  }
  return id;
}

/** Checks an experiment id. */
export function validateExperimentId(id: unknown): string {
  if (typeof id !== "string" || !EXPERIMENT_ID.test(id)) {
    throw invalidParam(`Invalid experiment ID: ${JSON.stringify(id)}`);
  }
  return id;
}

/** Checks an experiment name. */
export function validateExperimentName(name: unknown): string {
  if (typeof name !== "string" || name === "") {
    throw invalidParam(`Invalid experiment name: ${JSON.stringify(name ?? "")}`);
  }
  if (name.length > MAX_EXPERIMENT_NAME_LENGTH) {
    throw invalidParam(
      `Invalid experiment name: it exceeds the maximum length of ${MAX_EXPERIMENT_NAME_LENGTH} characters`,
    );
  }
  return validateText(name, "name");
}

/** Checks a client-given experiment artifact location: length, no `runs:` URI, well-formed text. */
export function validateArtifactLocation(location: string): string {
  if (location.length > MAX_ARTIFACT_LOCATION_LENGTH) {
    throw invalidParam(
      `Invalid artifact location: it exceeds the maximum length of ` +
        `${MAX_ARTIFACT_LOCATION_LENGTH} characters`,
    );
  }
  if (location.startsWith("runs:")) {
    throw invalidParam(`Invalid artifact location "${location}": 'runs:' URIs are not allowed`);
  }
  return validateText(location, "artifact_location");
}

/** Checks `max_results` of a search (1..50000). */
export function validateMaxResults(n: unknown, limit = MAX_RESULTS_LIMIT): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n <= 0 || n > limit) {
    throw invalidParam(
      `Invalid value ${n} for parameter 'max_results' supplied. It must be a positive integer ` +
        `at most ${limit}`,
    );
  }
  return n;
}

/** MLflow's limits of a logged dataset (reference §7). */
export const DATASET_LIMITS = {
  name: 500,
  digest: 36,
  source: 65535,
  schema: 1048575,
  profile: 16777215,
  inputTagKey: 255,
  inputTagValue: 500,
} as const;

function checkDatasetField(v: unknown, what: string, max: number, required: boolean): void {
  if (v === undefined || v === null) {
    if (required) throw invalidParam(`Dataset ${what} is required`);
    return;
  }
  if (typeof v !== "string") throw invalidParam(`Dataset ${what} must be a string`);
  validateText(v, `dataset ${what}`);
  if (required && v === "") throw invalidParam(`Dataset ${what} must not be empty`);
  if (v.length > max) {
    throw invalidParam(`Dataset ${what} exceeds the maximum length of ${max} characters`);
  }
}

/** Checks dataset inputs against MLflow's limits; throws INVALID_PARAMETER_VALUE. */
export function validateDatasetInputs(inputs: DatasetInput[]): void {
  if (!Array.isArray(inputs)) throw invalidParam("Dataset inputs must be a list");
  const L = DATASET_LIMITS;
  for (const input of inputs) {
    const d = input?.dataset;
    if (!d) throw invalidParam("Dataset input is missing its dataset");
    checkDatasetField(d.name, "name", L.name, true);
    checkDatasetField(d.digest, "digest", L.digest, true);
    checkDatasetField(d.sourceType, "source_type", L.source, true);
    checkDatasetField(d.source, "source", L.source, true);
    checkDatasetField(d.schema, "schema", L.schema, false);
    checkDatasetField(d.profile, "profile", L.profile, false);
    for (const t of input.tags ?? []) {
      if (typeof t.key !== "string" || t.key === "" || t.key.length > L.inputTagKey) {
        throw invalidParam(`Input tag key ${JSON.stringify(t.key)} is empty or too long`);
      }
      if (typeof t.value !== "string" || t.value.length > L.inputTagValue) {
        throw invalidParam(
          `Input tag value of '${t.key}' exceeds the maximum length of ${L.inputTagValue}`,
        );
      }
      validateText(t.key, "input tag key");
      validateText(t.value, "input tag value");
    }
  }
}

/**
 * A new run's name and tags, as MLflow's stores settle them: `run_name`, else the last
 * `mlflow.runName` tag, else a random name; the tag is added when missing. Both given and
 * different is INVALID_PARAMETER_VALUE.
 */
export function newRunName(
  requested: string | undefined,
  tags: Tag[],
): { runName: string; tags: Tag[] } {
  validateText(requested, "run_name");
  const tagName = tags.findLast((t) => t.key === TAG.runName)?.value;
  if (requested && tagName && requested !== tagName) {
    throw invalidParam(
      "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different " +
        `values (run_name='${requested}', mlflow.runName='${tagName}').`,
    );
  }
  const runName = requested || tagName || randomRunName();
  return { runName, tags: tagName ? tags : [...tags, { key: TAG.runName, value: runName }] };
}

const MODEL_NAME_BAD_CHARS = ["/", ":", ".", "%", '"', "'"];
/** Longest logged model name (the width of MLflow's `logged_models.name` column). */
export const MAX_LOGGED_MODEL_NAME_LENGTH = 500;

/** Checks a logged model name (absent is fine: the store draws one) with MLflow's rule. */
export function validateLoggedModelName(name: unknown): string | undefined {
  if (name === undefined || name === null) return undefined;
  if (
    typeof name !== "string" || name === "" || MODEL_NAME_BAD_CHARS.some((c) => name.includes(c))
  ) {
    const text = String(name);
    // Python's repr() of the name, as MLflow quotes it.
    const q = text.includes("'") && !text.includes('"') ? '"' : "'";
    const repr = q + (q === "'" ? text.replaceAll("\\", "\\\\").replaceAll("'", "\\'") : text) + q;
    throw invalidParam(
      `Invalid model name (${repr}) provided. Model name must be a ` +
        `non-empty string and cannot contain the following characters: ('/', ':', '.', '%', ` +
        `'"', "'")`,
    );
  }
  if (name.length > MAX_LOGGED_MODEL_NAME_LENGTH) {
    throw invalidParam(
      `Invalid model name: it exceeds the maximum length of ${MAX_LOGGED_MODEL_NAME_LENGTH} ` +
        "characters",
    );
  }
  return name;
}

const LOGGED_MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$/;

/** True when `id` can be a logged model id (MLflow's are `m-` and 32 hex digits). */
export function isLoggedModelId(id: unknown): id is string {
  return typeof id === "string" && LOGGED_MODEL_ID.test(id);
}

/** Checks the model ids (and steps) of `log-inputs` models or `runs/outputs`. */
export function validateModelLinks(models: { modelId: string; step?: number }[]): void {
  for (const [i, m] of models.entries()) {
    if (!isLoggedModelId(m.modelId)) {
      throw invalidParam(
        `Invalid value ${
          JSON.stringify(m.modelId ?? null)
        } for parameter 'models[${i}].model_id' ` +
          "supplied: not a logged model id",
      );
    }
    if (m.step !== undefined && !Number.isSafeInteger(m.step)) {
      throw invalidParam(
        `Invalid value ${JSON.stringify(m.step)} for parameter 'models[${i}].step' supplied: ` +
          "it must be an integer",
      );
    }
  }
}

/** Checks the tags of a logged model (any value; keys as run tag keys). */
export function validateModelTags(tags: Tag[]): Tag[] {
  return tags.map((t) => ({
    key: validateKey(t.key, "key"),
    value: t.value == null ? "" : String(t.value),
  }));
}

/** Checks params of a logged model; one key with two values in one call is refused. */
export function validateModelParams(params: Param[], truncate: boolean): Param[] {
  const seen = new Map<string, string>();
  return params.map((p) => {
    const v = validateParam(p, truncate);
    const prev = seen.get(v.key);
    if (prev !== undefined && prev !== v.value) {
      throw invalidParam(`Duplicate param key '${v.key}' with different values in one request`);
    }
    seen.set(v.key, v.value);
    return v;
  });
}

/** The checked fields of a new logged model (a random name when none is given). */
export function validateNewModel(
  req: { experimentId: string; name?: string; params?: Param[]; tags?: Tag[] },
  truncate: boolean,
): { experimentId: string; name: string; params: Param[]; tags: Tag[] } {
  return {
    experimentId: validateExperimentId(req.experimentId),
    name: validateLoggedModelName(req.name) ?? randomRunName(),
    params: validateModelParams(req.params ?? [], truncate),
    tags: validateModelTags(req.tags ?? []),
  };
}
