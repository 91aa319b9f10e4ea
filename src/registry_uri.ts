/**
 * `models:/` URIs as MLflow parses them: `models:/<name>/<version>`, `models:/<name>/<stage>`,
 * `models:/<name>/latest`, `models:/<name>@<alias>` and a logged model's `models:/<model_id>`.
 * Pure.
 */
import { invalidParam, type MltError } from "./errors.ts";

/** What a `models:/` URI names. Exactly one of the shapes is filled. */
export interface ModelUri {
  /** A logged model (`models:/m-…`). */
  modelId?: string;
  name?: string;
  version?: string;
  stage?: string;
  alias?: string;
  /** Anything after `models:` and before the path, e.g. `models://profile@databricks/...`. */
  authority?: string;
}

/** MLflow's message for a `models:/` URI it cannot read. */
export function improperModelUri(uri: string): MltError {
  return invalidParam(
    `Not a proper models:/ URI: ${uri}. Models URIs must be of the form 'models:/name/suffix' ` +
      "or 'models:/name@alias' where suffix is a version, stage, or the string 'latest' and " +
      "where alias is a registered model alias. Only one of suffix or alias can be defined at a " +
      "time.",
  );
}

/** True when `uri` has the `models:` scheme. */
export function isModelsUri(uri: string): boolean {
  return /^models:/i.test(uri);
}

/** Parses a `models:` URI (the scheme is checked by the caller); throws when malformed. */
export function parseModelUri(uri: string): ModelUri {
  const m = /^models:(\/\/([^/?#]*))?([^?#]*)/i.exec(uri);
  if (!m) throw improperModelUri(uri);
  const authority = m[2] || undefined;
  const path = m[3];
  if (!path.startsWith("/") || path.length <= 1) throw improperModelUri(uri);
  const parts = path.replace(/^\/+/, "").split("/");
  if (parts.length > 2 || parts[0].trim() === "") throw improperModelUri(uri);
  if (parts.length === 2) {
    const [name, suffix] = parts;
    if (suffix.trim() === "") throw improperModelUri(uri);
    if (/^\d+$/.test(suffix)) return { name, version: suffix, authority };
    if (suffix.toLowerCase() === "latest") return { name, authority };
    return { name, stage: suffix, authority };
  }
  if (path.includes("@")) {
    const at = parts[0].lastIndexOf("@");
    const alias = parts[0].slice(at + 1);
    if (at < 0 || alias.trim() === "") throw improperModelUri(uri);
    return { name: parts[0].slice(0, at), alias, authority };
  }
  return { modelId: parts[0], authority };
}
