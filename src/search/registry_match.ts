/**
 * In-memory registry search (the file store's): filter matching with the semantics of the SQL
 * compilation (a missing value never matches; LIKE is a case-sensitive full match), sorting,
 * MLflow's offset paging, and the latest version per stage.
 */
import type { Page, Tag } from "../model.ts";
import {
  DELETED_STAGE,
  type ModelVersion,
  PROMPT_TAG,
  type RegisteredModel,
} from "../registry_model.ts";
import { testComparison as testValue } from "./match.ts";
import { decodePageToken, encodePageToken } from "./page_token.ts";
import type { RegistryFilter, RegistryOrder } from "./registry_filter.ts";

type Value = string | number | undefined;

function tagValue(tags: readonly Tag[], key: string): string | undefined {
  return tags.find((t) => t.key === key)?.value;
}

/** True when tags mark a prompt exactly as MLflow's SQL anti-join does (`= 'true'`). */
export function isPromptTagged(tags: readonly Tag[]): boolean {
  return tagValue(tags, PROMPT_TAG) === "true";
}

/** True when a registered model passes a filter. */
export function matchRegisteredModel(m: RegisteredModel, f: RegistryFilter): boolean {
  if (f.excludePrompts && isPromptTagged(m.tags)) return false;
  return f.comparisons.every((c) =>
    testValue(c, c.entity === "tag" ? tagValue(m.tags, c.key) : m.name)
  );
}

function versionAttribute(v: ModelVersion, key: string): Value {
  switch (key) {
    case "name":
      return v.name;
    case "version_number":
      return v.version;
    case "run_id":
      return v.runId;
    case "source_path":
      return v.source;
  }
  return undefined;
}

/**
 * True when a live model version passes a filter; `promptModel` tells whether any version of its
 * model carries the prompt tag (MLflow hides all versions of such a model).
 */
export function matchModelVersion(v: ModelVersion, f: RegistryFilter, promptModel: boolean) {
  if (v.currentStage === DELETED_STAGE) return false;
  if (f.excludePrompts && promptModel) return false;
  return f.comparisons.every((c) =>
    testValue(c, c.entity === "tag" ? tagValue(v.tags, c.key) : versionAttribute(v, c.key))
  );
}

function sortValue(x: RegisteredModel | ModelVersion, key: RegistryOrder["key"]): Value {
  switch (key) {
    case "name":
      return x.name;
    case "version_number":
      return (x as ModelVersion).version;
    case "creation_timestamp":
      return x.creationTimestamp;
    case "last_updated_timestamp":
      return x.lastUpdatedTimestamp;
  }
}

/** A comparator for `Array.sort` over the keys (missing values first ascending, as SQLite). */
export function registryComparator<T extends RegisteredModel | ModelVersion>(
  order: RegistryOrder[],
): (a: T, b: T) => number {
  return (a, b) => {
    for (const o of order) {
      const x = sortValue(a, o.key), y = sortValue(b, o.key);
      if (x === y) continue;
      const lt = x === undefined ? true : y === undefined ? false : x < y;
      return (lt ? -1 : 1) * (o.ascending ? 1 : -1);
    }
    return 0;
  };
}

/**
 * One page of sorted results from a page token, the way MLflow's SQL store pages: it reads one
 * more than `maxResults` and gives a next token when that one exists.
 */
export function pageOf<T>(
  sorted: readonly T[],
  pageToken: string | undefined,
  max: number,
): Page<T> {
  const offset = decodePageToken(pageToken);
  const slice = sorted.slice(offset, offset + max + 1);
  const items = slice.slice(0, max);
  return slice.length > max ? { items, nextPageToken: encodePageToken(offset + max) } : { items };
}

/**
 * The highest live version in each stage. `byStage` orders them by stage name (MLflow's search
 * answers); otherwise in the order each stage first appears among the versions by number
 * (`registered-models/get`, `get-latest-versions`).
 */
export function latestPerStage(versions: readonly ModelVersion[], byStage = false): ModelVersion[] {
  const best = new Map<string, ModelVersion>();
  for (const v of [...versions].sort((a, b) => a.version - b.version)) {
    if (v.currentStage === DELETED_STAGE) continue;
    best.set(v.currentStage, v);
  }
  const out = [...best.values()];
  return byStage ? out.sort((a, b) => (a.currentStage < b.currentStage ? -1 : 1)) : out;
}
