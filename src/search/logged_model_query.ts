/**
 * `logged-models/search` queries: the filter (MLflow's logged-model grammar: attributes,
 * `metrics.`, `params.`, `tags.` joined by AND), the structured `order_by` and `datasets` clauses,
 * checked with clear INVALID_PARAMETER_VALUE errors. Pure.
 */
import { invalidParam } from "../errors.ts";
import {
  at,
  type Comparison,
  type Entity,
  filterFail,
  LIST_OPS,
  makeComparison,
  NUMERIC_OPS,
  parseClauses,
  splitIdentifier,
} from "./filter.ts";

/** A dataset a logged-model search restricts metrics to (digest optional). */
export interface DatasetFilter {
  datasetName: string;
  datasetDigest?: string;
}

/** One sort key of `logged-models/search`: an attribute or `metrics.<key>` (on a dataset). */
export interface LoggedModelOrderBy {
  fieldName: string;
  /** Default true. */
  ascending?: boolean;
  datasetName?: string;
  datasetDigest?: string;
}

/** A parsed sort key; metric keys may be restricted to one dataset's points. */
export interface LoggedModelSortKey {
  entity: "attribute" | "metric";
  key: string;
  ascending: boolean;
  datasetName?: string;
  datasetDigest?: string;
}

/** Attributes a filter or order may name, by name or alias → canonical name. */
export const LOGGED_MODEL_ATTRIBUTES: ReadonlyMap<string, string> = new Map([
  ...["name", "model_id", "model_type", "status", "source_run_id"].map((k) => [k, k] as const),
  ["creation_timestamp", "creation_timestamp"],
  ["creation_time", "creation_timestamp"],
  ["last_updated_timestamp", "last_updated_timestamp"],
  ["last_updated_time", "last_updated_timestamp"],
]);
/** Attributes holding milliseconds since the epoch. */
export const NUMERIC_LOGGED_MODEL_ATTRIBUTES: ReadonlySet<string> = new Set([
  "creation_timestamp",
  "last_updated_timestamp",
]);
const ATTRIBUTE_LIST = "name, model_id, model_type, status, source_run_id, creation_timestamp " +
  "(creation_time), last_updated_timestamp (last_updated_time)";

const ENTITIES = new Map<string, Entity>([
  ...["metric", "metrics"].map((n) => [n, "metric"] as const),
  ...["param", "params", "parameter", "parameters"].map((n) => [n, "param"] as const),
  ...["tag", "tags"].map((n) => [n, "tag"] as const),
  ...["attribute", "attributes", "attr"].map((n) => [n, "attribute"] as const),
]);

/** Parses a `logged-models/search` filter; [] for an empty or absent one. */
export function parseLoggedModelFilter(filter: string | undefined): Comparison[] {
  if (!filter) return [];
  const fail = filterFail("logged model search", filter);
  return parseClauses(filter, fail).map((c) => {
    const { entity: raw, key: rawKey } = splitIdentifier(c.ident, fail);
    const entity = raw === undefined ? "attribute" : ENTITIES.get(raw);
    const pos = at(c.ident.pos);
    if (!entity) {
      throw fail(`unknown entity '${raw}'${pos}; use metrics., params., tags. or attributes.`);
    }
    if (entity === "metric") {
      return makeComparison(c, entity, rawKey, NUMERIC_OPS, `metric '${rawKey}'`, fail);
    }
    if (entity !== "attribute") {
      return makeComparison(c, entity, rawKey, LIST_OPS, `${entity} '${rawKey}'`, fail);
    }
    const key = LOGGED_MODEL_ATTRIBUTES.get(rawKey);
    if (!key) throw fail(`unknown attribute '${rawKey}'${pos}; valid: ${ATTRIBUTE_LIST}`);
    const ops = NUMERIC_LOGGED_MODEL_ATTRIBUTES.has(key) ? NUMERIC_OPS : LIST_OPS;
    return makeComparison(c, "attribute", key, ops, `attribute '${rawKey}'`, fail);
  });
}

/**
 * Parses `order_by` into sort keys, with MLflow's tie-breaks appended (creation_timestamp
 * DESC, then model_id ASC, unless named).
 */
export function parseLoggedModelOrderBy(
  orderBy: LoggedModelOrderBy[] | undefined,
): LoggedModelSortKey[] {
  const keys: LoggedModelSortKey[] = (orderBy ?? []).map((o) => {
    const field = typeof o.fieldName === "string" ? o.fieldName.trim() : "";
    if (field === "") {
      throw invalidParam("`field_name` in the `order_by` clause must be specified.");
    }
    if (o.ascending !== undefined && typeof o.ascending !== "boolean") {
      throw invalidParam(
        `Value of \`ascending\` in the \`order_by\` clause must be a boolean, got ` +
          `${JSON.stringify(o.ascending)} for field ${field}.`,
      );
    }
    if (o.datasetDigest && !o.datasetName) {
      throw invalidParam(
        "`dataset_digest` can only be specified if `dataset_name` is also specified.",
      );
    }
    const ascending = o.ascending ?? true;
    const dot = field.indexOf(".");
    if (dot >= 0) {
      const entity = field.slice(0, dot);
      const key = field.slice(dot + 1).replace(/^`(.*)`$/, "$1");
      if (entity !== "metrics" || key === "") {
        throw invalidParam(
          `Invalid order by field name: ${field}; only attributes (${ATTRIBUTE_LIST}) and ` +
            "`metrics.<name>` are allowed.",
        );
      }
      return {
        entity: "metric",
        key,
        ascending,
        datasetName: o.datasetName,
        datasetDigest: o.datasetDigest,
      };
    }
    const key = LOGGED_MODEL_ATTRIBUTES.get(field);
    if (!key) {
      throw invalidParam(`Invalid order by field name: ${field}; valid: ${ATTRIBUTE_LIST}.`);
    }
    if (o.datasetName) {
      throw invalidParam(
        `\`dataset_name\` in the \`order_by\` clause applies to metrics only, not to ${field}.`,
      );
    }
    return { entity: "attribute", key, ascending };
  });
  const named = (k: string) => keys.some((o) => o.entity === "attribute" && o.key === k);
  if (!named("creation_timestamp")) {
    keys.push({ entity: "attribute", key: "creation_timestamp", ascending: false });
  }
  if (!named("model_id")) keys.push({ entity: "attribute", key: "model_id", ascending: true });
  return keys;
}

/** Checks the `datasets` clause: each needs a name (MLflow's message). */
export function checkDatasetFilters(datasets: DatasetFilter[] | undefined): DatasetFilter[] {
  for (const d of datasets ?? []) {
    if (typeof d.datasetName !== "string" || d.datasetName === "") {
      throw invalidParam("`dataset_name` in the `datasets` clause must be specified.");
    }
  }
  return datasets ?? [];
}

/** True when a metric point was logged on one of `datasets` (none given: always). */
export function onDatasets(
  m: { datasetName?: string; datasetDigest?: string },
  datasets: DatasetFilter[],
): boolean {
  return datasets.length === 0 || datasets.some((d) =>
    m.datasetName === d.datasetName &&
    (!d.datasetDigest || m.datasetDigest === d.datasetDigest)
  );
}
