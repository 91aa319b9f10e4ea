/**
 * The registry's SQL over MLflow's tables (`registered_models`, `model_versions`,
 * `registered_model_tags`, `model_version_tags`, `registered_model_aliases`, workspace
 * 'default'): row selections that carry their tags and aliases as JSON columns, and search
 * filters and orders (search/registry_filter.ts) compiled with the semantics of
 * search/registry_match.ts. Every user value is a bound parameter. Pure: builds strings.
 */
import { DELETED_STAGE, PROMPT_TAG } from "../../registry_model.ts";
import type {
  RegistryComparison,
  RegistryFilter,
  RegistryOrder,
} from "../../search/registry_filter.ts";
import { condition, type Dialect, type Query, SQLITE, type SqlValue } from "./sql.ts";

/** The workspace of every row when workspaces are off. */
export const WORKSPACE = "default";

/** Columns of a registered model row `rm` (tags and aliases are read apart: modelExtrasSql). */
export const MODEL_COLUMNS = "rm.name, rm.creation_time, rm.last_updated_time, rm.description";

/** Columns of a model version row `mv` (tags are read apart: versionTagsSql). */
export const VERSION_COLUMNS = "mv.name, mv.version, mv.creation_time, mv.last_updated_time, " +
  "mv.description, mv.user_id, mv.current_stage, mv.source, mv.run_id, mv.status, " +
  "mv.status_message, mv.run_link";

/** A model by name (MODEL_COLUMNS): workspace, name. */
export const MODEL_BY_NAME = `SELECT ${MODEL_COLUMNS} FROM registered_models rm ` +
  "WHERE rm.workspace = ? AND rm.name = ?";

/** A version unless deleted (VERSION_COLUMNS): workspace, name, version, the deleted stage. */
export const VERSION_BY_NUMBER = `SELECT ${VERSION_COLUMNS} FROM model_versions mv ` +
  "WHERE mv.workspace = ? AND mv.name = ? AND mv.version = ? AND mv.current_stage != ?";

/** The aliases of a version, by name: workspace, name, version. */
export const ALIASES_OF_VERSION =
  "SELECT alias FROM registered_model_aliases WHERE workspace = ? " +
  "AND name = ? AND version = ? ORDER BY alias";

// Lists are bound as one JSON array (Dialect.jsonValues), so every page size shares a statement.

/**
 * The tags (`name, key, value`, in writing order) and aliases (`name, alias, version`, by alias
 * name, as MLflow's store loads them) of the models `names`.
 */
export function modelExtrasSql(
  names: string[],
  d: Dialect = SQLITE,
): { tags: Query; aliases: Query } {
  const where = `WHERE workspace = ? AND name IN (${d.jsonValues})`;
  const params = [WORKSPACE, JSON.stringify(names)];
  return {
    tags: {
      sql: `SELECT name, key, value FROM registered_model_tags ${where} ORDER BY ${d.writeOrder}`,
      params,
    },
    aliases: {
      sql:
        `SELECT name, alias, version FROM registered_model_aliases ${where} ORDER BY name, alias`,
      params,
    },
  };
}

/** The tags (`name, version, key, value`, in writing order) of the versions `keys`. */
export function versionTagsSql(keys: [string, number][], d: Dialect = SQLITE): Query {
  const pairs = d.name === "sqlite"
    ? "SELECT j.value->>0, j.value->>1 FROM json_each(?) j"
    : "SELECT j->>0, (j->>1)::int FROM jsonb_array_elements(?::text::jsonb) j";
  return {
    sql: "SELECT name, version, key, value FROM model_version_tags WHERE workspace = ? AND " +
      `(name, version) IN (${pairs}) ORDER BY ${d.writeOrder}`,
    params: [WORKSPACE, JSON.stringify(keys)],
  };
}

function tagExists(
  table: string,
  row: string,
  keyed: string,
  c: RegistryComparison,
  params: SqlValue[],
  d: Dialect,
) {
  params.push(c.key);
  return `EXISTS (SELECT 1 FROM ${table} t WHERE t.workspace = ${row}.workspace AND ${keyed} ` +
    `AND t.key = ? AND ${condition("t.value", c, params, d)})`;
}

function promptFree(table: string, row: string, params: SqlValue[]): string {
  params.push(PROMPT_TAG);
  return `NOT EXISTS (SELECT 1 FROM ${table} p WHERE p.workspace = ${row}.workspace AND ` +
    `p.name = ${row}.name AND p.key = ? AND p.value = 'true')`;
}

// Timestamp columns by sort key; `rm.` and `mv.` rows both hold them under these names.
const ORDER_COLUMNS = {
  creation_timestamp: "creation_time",
  last_updated_timestamp: "last_updated_time",
};

// `SELECT <from> WHERE <terms> ORDER BY <order> LIMIT ? OFFSET ?`.
function page(
  from: string,
  terms: string[],
  params: SqlValue[],
  order: RegistryOrder[],
  columns: Record<RegistryOrder["key"], string>,
  limit: number,
  offset: number,
): Query {
  const by = order.map((o) => `${columns[o.key]}${o.ascending ? "" : " DESC"}`).join(", ");
  const sql = `SELECT ${from} WHERE ${terms.join(" AND ")} ORDER BY ${by} LIMIT ? OFFSET ?`;
  return { sql, params: [...params, limit, offset] };
}

/** One page of a registered model search: MODEL_COLUMNS rows, `limit` of them from `offset`. */
export function compileModelSearch(
  f: RegistryFilter,
  order: RegistryOrder[],
  limit: number,
  offset: number,
  d: Dialect = SQLITE,
): Query {
  const params: SqlValue[] = [WORKSPACE];
  const terms = ["rm.workspace = ?"];
  for (const c of f.comparisons) {
    terms.push(
      c.entity === "tag"
        ? tagExists("registered_model_tags", "rm", "t.name = rm.name", c, params, d)
        : condition("rm.name", c, params, d),
    );
  }
  if (f.excludePrompts) terms.push(promptFree("registered_model_tags", "rm", params));
  const keys = { ...ORDER_COLUMNS, name: "rm.name", version_number: "rm.name" };
  return page(
    `${MODEL_COLUMNS} FROM registered_models rm`,
    terms,
    params,
    order,
    keys,
    limit,
    offset,
  );
}

const VERSION_ATTRIBUTES: Record<string, string> = {
  name: "mv.name",
  version_number: "mv.version",
  run_id: "mv.run_id",
  source_path: "mv.source",
};

/** One page of a live model version search: VERSION_COLUMNS rows. */
export function compileVersionSearch(
  f: RegistryFilter,
  order: RegistryOrder[],
  limit: number,
  offset: number,
  d: Dialect = SQLITE,
): Query {
  const params: SqlValue[] = [WORKSPACE, DELETED_STAGE];
  const terms = ["mv.workspace = ?", "mv.current_stage != ?"];
  for (const c of f.comparisons) {
    if (c.entity === "tag") {
      terms.push(
        tagExists(
          "model_version_tags",
          "mv",
          "t.name = mv.name AND t.version = mv.version",
          c,
          params,
          d,
        ),
      );
    } else {
      const col = VERSION_ATTRIBUTES[c.key];
      terms.push(condition(col, c, params, d));
    }
  }
  if (f.excludePrompts) terms.push(promptFree("model_version_tags", "mv", params));
  const keys = { name: "mv.name", version_number: "mv.version", ...ORDER_COLUMNS };
  return page(
    `${VERSION_COLUMNS} FROM model_versions mv`,
    terms,
    params,
    order,
    keys,
    limit,
    offset,
  );
}

/**
 * The highest live version in each stage of the models `names` (VERSION_COLUMNS rows), by model
 * then stage name, as MLflow's search lists them.
 */
export function latestVersionsSql(names: string[], d: Dialect = SQLITE): Query {
  const latest = "SELECT name, current_stage AS stage, MAX(version) AS version FROM " +
    `model_versions WHERE workspace = ? AND name IN (${d.jsonValues}) AND ` +
    "current_stage != ? GROUP BY name, current_stage";
  // CROSS JOIN keeps SQLite from scanning model_versions and probing the group (measured 3x
  // slower for a page of 100 models); PostgreSQL plans joins itself (and has no CROSS JOIN … ON).
  const join = d.name === "sqlite" ? "CROSS JOIN" : "JOIN";
  const sql = `SELECT ${VERSION_COLUMNS} FROM (${latest}) l ${join} model_versions mv ON ` +
    "mv.workspace = ? AND mv.name = l.name AND mv.version = l.version ORDER BY l.name, l.stage";
  return { sql, params: [WORKSPACE, JSON.stringify(names), DELETED_STAGE, WORKSPACE] };
}

/** The stages of one model's live versions in the order their lowest version meets them. */
export const STAGES_BY_FIRST_VERSION = "SELECT current_stage FROM model_versions WHERE " +
  "workspace = ? AND name = ? AND current_stage != ? GROUP BY current_stage ORDER BY MIN(version)";
