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
import { condition, type Query, type SqlValue } from "./sql.ts";

/** The workspace of every row when workspaces are off. */
export const WORKSPACE = "default";

const TAGS_OF_MODEL = "(SELECT json_group_array(json_array(t.key, t.value) ORDER BY t.rowid) " +
  "FROM registered_model_tags t WHERE t.workspace = rm.workspace AND t.name = rm.name)";
const ALIASES_OF_MODEL = "(SELECT json_group_array(json_array(a.alias, a.version) " +
  "ORDER BY a.alias) FROM registered_model_aliases a " +
  "WHERE a.workspace = rm.workspace AND a.name = rm.name)";
const TAGS_OF_VERSION = "(SELECT json_group_array(json_array(t.key, t.value) ORDER BY t.rowid) " +
  "FROM model_version_tags t WHERE t.workspace = mv.workspace AND t.name = mv.name " +
  "AND t.version = mv.version)";

/** Columns of a registered model row `rm`, its tags and aliases as JSON arrays. */
export const MODEL_COLUMNS = "rm.name, rm.creation_time, rm.last_updated_time, rm.description, " +
  `${TAGS_OF_MODEL} AS tags, ${ALIASES_OF_MODEL} AS aliases`;

/** Columns of a model version row `mv`, its tags as a JSON array. */
export const VERSION_COLUMNS = "mv.name, mv.version, mv.creation_time, mv.last_updated_time, " +
  "mv.description, mv.user_id, mv.current_stage, mv.source, mv.run_id, mv.status, " +
  `mv.status_message, mv.run_link, mv.storage_location, ${TAGS_OF_VERSION} AS tags`;

function tagExists(
  table: string,
  row: string,
  keyed: string,
  c: RegistryComparison,
  params: SqlValue[],
) {
  params.push(c.key);
  return `EXISTS (SELECT 1 FROM ${table} t WHERE t.workspace = ${row}.workspace AND ${keyed} ` +
    `AND t.key = ? AND ${condition("t.value", c, params)})`;
}

function promptFree(table: string, row: string, params: SqlValue[]): string {
  params.push(PROMPT_TAG);
  return `NOT EXISTS (SELECT 1 FROM ${table} p WHERE p.workspace = ${row}.workspace AND ` +
    `p.name = ${row}.name AND p.key = ? AND p.value = 'true')`;
}

function orderSql(order: RegistryOrder[], columns: Record<RegistryOrder["key"], string>): string {
  return order.map((o) => `${columns[o.key]}${o.ascending ? "" : " DESC"}`).join(", ");
}

/** One page of a registered model search: MODEL_COLUMNS rows, `limit` of them from `offset`. */
export function compileModelSearch(
  f: RegistryFilter,
  order: RegistryOrder[],
  limit: number,
  offset: number,
): Query {
  const params: SqlValue[] = [WORKSPACE];
  const terms = ["rm.workspace = ?"];
  for (const c of f.comparisons) {
    terms.push(
      c.entity === "tag"
        ? tagExists("registered_model_tags", "rm", "t.name = rm.name", c, params)
        : condition("rm.name", c, params),
    );
  }
  if (f.excludePrompts) terms.push(promptFree("registered_model_tags", "rm", params));
  const sql = `SELECT ${MODEL_COLUMNS} FROM registered_models rm WHERE ${terms.join(" AND ")} ` +
    `ORDER BY ${
      orderSql(order, {
        name: "rm.name",
        version_number: "rm.name",
        creation_timestamp: "rm.creation_time",
        last_updated_timestamp: "rm.last_updated_time",
      })
    } LIMIT ? OFFSET ?`;
  return { sql, params: [...params, limit, offset] };
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
        ),
      );
    } else {
      const col = VERSION_ATTRIBUTES[c.key];
      terms.push(condition(col, c, params));
    }
  }
  if (f.excludePrompts) terms.push(promptFree("model_version_tags", "mv", params));
  const sql = `SELECT ${VERSION_COLUMNS} FROM model_versions mv WHERE ${terms.join(" AND ")} ` +
    `ORDER BY ${
      orderSql(order, {
        name: "mv.name",
        version_number: "mv.version",
        creation_timestamp: "mv.creation_time",
        last_updated_timestamp: "mv.last_updated_time",
      })
    } LIMIT ? OFFSET ?`;
  return { sql, params: [...params, limit, offset] };
}

/**
 * The highest live version per stage of the models `names`: ordered by model,
 * then by stage name (`byStage`, MLflow's search) or by the lowest version in each stage (the
 * order in which MLflow's `registered-models/get` meets the stages).
 */
export function latestVersionsSql(names: string[], byStage: boolean): Query {
  const marks = names.map(() => "?").join(", ");
  const sql = `SELECT ${VERSION_COLUMNS} FROM (SELECT m.*, ` +
    "ROW_NUMBER() OVER (PARTITION BY m.name, m.current_stage ORDER BY m.version DESC) AS rn, " +
    "MIN(m.version) OVER (PARTITION BY m.name, m.current_stage) AS first_seen " +
    `FROM model_versions m WHERE m.workspace = ? AND m.name IN (${marks}) ` +
    "AND m.current_stage != ?) mv WHERE mv.rn = 1 " +
    `ORDER BY mv.name, ${byStage ? "mv.current_stage" : "mv.first_seen"}`;
  return { sql, params: [WORKSPACE, ...names, DELETED_STAGE] };
}
