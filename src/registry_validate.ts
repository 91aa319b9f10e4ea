/**
 * MLflow's validation of model registry input (names, versions, aliases, tags) as pure functions
 * that throw MltError with MLflow's messages. The file store adds its own path rules
 * (`validateModelNameAsPath`), because there a name becomes a directory.
 */
import { invalidParam } from "./errors.ts";
import { LATEST_ALIAS } from "./registry_model.ts";
import type { Tag } from "./model.ts";
import { pyRepr } from "./search/page_token.ts";
import { limitValue, posixNormpath, validateKey } from "./validate.ts";

/** Longest registry tag value (MLflow's MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH). */
export const MAX_REGISTRY_TAG_VALUE_LENGTH = 100_000;
/** Longest alias name. */
export const MAX_ALIAS_LENGTH = 255;
/** Longest file name of the file store's directories (bytes of UTF-8, most file systems). */
export const MAX_NAME_BYTES = 255;

// Python's json.dumps (ASCII-escaped), as MLflow quotes a refused value.
function pyJson(s: string): string {
  return JSON.stringify(s).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Checks a registered model name as every MLflow store does; returns it. */
export function validateModelName(name: unknown, field = "name"): string {
  if (typeof name !== "string" || name.trim() === "") {
    throw invalidParam(`Missing value for required parameter '${field}'.`);
  }
  if (name.includes("/") || name.includes(":")) {
    throw invalidParam(`Invalid model name '${name}'. Names cannot contain '/' or ':'.`);
  }
  const norm = posixNormpath(name);
  if (norm !== name || norm === "." || norm.startsWith("..") || norm.startsWith("/")) {
    throw invalidParam(
      `Invalid value ${pyJson(name)} for parameter '${field}' supplied: Names may be treated as ` +
        "files in certain cases, and must not resolve to other names when treated as such. " +
        `This name would resolve to ${pyRepr(norm)}`,
    );
  }
  return name;
}

/**
 * The file store's extra rules, because a name becomes a directory: MLflow's (no `%`), and
 * mlt's own (no control characters, at most 255 bytes, which the file system would refuse).
 */
export function validateModelNameAsPath(name: string): string {
  if (name.includes("%")) {
    throw invalidParam(
      `Invalid name: '${name}'. Registered model name cannot contain '%' character`,
    );
  }
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(name)) {
    throw invalidParam(
      `Invalid name: ${pyJson(name)}. Registered model names in a file store cannot contain ` +
        "control characters or '\\'",
    );
  }
  if (new TextEncoder().encode(name).length > MAX_NAME_BYTES) {
    throw invalidParam(
      `Invalid name: '${name.slice(0, 40)}…'. Registered model names in a file store are at ` +
        `most ${MAX_NAME_BYTES} bytes long`,
    );
  }
  return name;
}

/** A model version number from its wire form ("3"); MLflow's message when it is not one. */
export function parseVersion(version: unknown): number {
  const s = typeof version === "number" ? String(version) : version;
  if (typeof s !== "string" || !/^\s*[+-]?\d+\s*$/.test(s)) {
    throw invalidParam(`Parameter 'version' must be an integer, got '${version}'.`);
  }
  const n = Number(s.trim());
  if (!Number.isSafeInteger(n)) {
    throw invalidParam(`Parameter 'version' must be an integer, got '${version}'.`);
  }
  return n;
}

/** Checks an alias name (set, delete and get all do). */
export function validateAlias(alias: unknown): string {
  if (typeof alias !== "string" || alias === "") {
    throw invalidParam("Registered model alias name cannot be empty.");
  }
  if (!/^[\p{L}\p{N}_\-]*$/u.test(alias)) {
    throw invalidParam(
      `Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), ` +
        "and dashes (-).",
    );
  }
  if (alias.length > MAX_ALIAS_LENGTH) {
    throw invalidParam(
      `'Registered model alias name' exceeds the maximum length of ${MAX_ALIAS_LENGTH} characters`,
    );
  }
  return alias;
}

/** Refuses the aliases MLflow reserves for setting: `latest` and version-like `v1`. */
export function validateAliasNotReserved(alias: string): string {
  if (alias.toLowerCase() === LATEST_ALIAS) {
    throw invalidParam("'latest' alias name (case insensitive) is reserved.");
  }
  if (/^[vV]\d+$/.test(alias)) throw invalidParam(`Version alias name '${alias}' is reserved.`);
  return alias;
}

/** Checks a registered model or model version tag; returns it with its value as a string. */
export function validateRegistryTag(t: { key: unknown; value?: unknown }): Tag {
  const key = validateKey(t.key, "key");
  const value = t.value == null ? "" : String(t.value);
  return { key, value: limitValue(value, MAX_REGISTRY_TAG_VALUE_LENGTH, "value", false) };
}

/** Checks a tag key to delete. */
export function validateRegistryTagKey(key: unknown): string {
  return validateKey(key, "key");
}

/** Checks tags and keeps one per key: the last value at the key's first place (a Python dict). */
export function validateRegistryTags(tags: readonly Tag[] | undefined): Tag[] {
  const out = new Map<string, string>();
  for (const t of tags ?? []) {
    const v = validateRegistryTag(t);
    out.set(v.key, v.value);
  }
  return [...out].map(([key, value]) => ({ key, value }));
}
