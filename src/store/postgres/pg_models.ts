/**
 * MLflow 3 logged models on PostgreSQL: rows of `logged_models`, `logged_model_params`,
 * `logged_model_tags`, `logged_model_metrics` and the `inputs` edges of runs' model inputs and
 * outputs, as MLflow's SQL store writes them (the SQLite store's sqlite_models.ts, async and
 * set-based). Reads load models in bulk, in the order of their ids.
 */
import type { LoggedModel, Metric, ModelInput, ModelOutput, Param, Tag } from "../../model.ts";
import {
  assembleModels,
  DELETE_MODEL_TAG_SQL,
  deleteModelsSql,
  insertModelSql,
  type KeyValueRow,
  linkTypes,
  MODEL_COLUMNS,
  MODEL_EXPERIMENT_SQL,
  modelNotFound,
  modelParamChanged,
  type ModelRow,
  modelRowArgs,
  modelTagNotFound,
  type PointRow,
} from "../sqlite/model_rows.ts";
import { storedMetricValue } from "../sqlite/rows.ts";
import { eachId, IDX, type Q } from "./pg_db.ts";

/** The experiment (INTEGER, as text) of a model; deleted models only when allowed. */
export async function modelExperiment(s: Q, modelId: string, allowDeleted = false) {
  const row = await s.one<{ e: string; stage: string | null }>(MODEL_EXPERIMENT_SQL, modelId);
  if (!row || (!allowDeleted && row.stage === "deleted")) throw modelNotFound(modelId);
  return row.e;
}

/** A model row (its status as given) with its params and tags. */
export async function insertModel(w: Q, m: LoggedModel, stage = "active"): Promise<void> {
  await w.run(insertModelSql(), ...modelRowArgs(m, stage));
  await insertModelParams(w, m.modelId, m.experimentId, m.params);
  await upsertModelTags(w, m.modelId, m.experimentId, m.tags);
}

/** Sets columns of an active model and its last-updated time; RESOURCE_DOES_NOT_EXIST. */
export async function updateModel(
  w: Q,
  modelId: string,
  now: number,
  set: { status?: number; stage?: "deleted" },
): Promise<void> {
  const n = await w.run(
    "UPDATE logged_models SET status = COALESCE(?::int, status), lifecycle_stage = " +
      "COALESCE(?::text, lifecycle_stage), last_updated_timestamp_ms = ? WHERE model_id = ? AND " +
      "COALESCE(lifecycle_stage, 'active') != 'deleted'",
    set.status ?? null,
    set.stage ?? null,
    now,
    modelId,
  );
  if (n === 0) throw modelNotFound(modelId);
}

/** Upserts tags of a model (the last value of a repeated key wins). */
export async function upsertModelTags(w: Q, modelId: string, exp: string, tags: Tag[]) {
  if (tags.length === 0) return;
  const last = [...new Map(tags.map((t) => [t.key, t.value])).entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  await w.run(
    "INSERT INTO logged_model_tags (model_id, experiment_id, tag_key, tag_value) " +
      "SELECT ?, ?, k, v FROM unnest(?::text[], ?::text[]) AS x(k, v) " +
      "ON CONFLICT (model_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value",
    modelId,
    BigInt(exp),
    last.map((t) => t[0]),
    last.map((t) => t[1]),
  );
}

/** Deletes a tag of a model; RESOURCE_DOES_NOT_EXIST (MLflow's message) when absent. */
export async function deleteModelTag(w: Q, modelId: string, key: string): Promise<void> {
  if (await w.run(DELETE_MODEL_TAG_SQL, modelId, key) === 0) {
    throw modelTagNotFound(modelId, key);
  }
}

/** Inserts params of a model: the same value again is a no-op, another value refused. */
export async function insertModelParams(w: Q, modelId: string, exp: string, params: Param[]) {
  if (params.length === 0) return;
  const check = async () => {
    const old = await w.all<{ k: string; v: string }>(
      "SELECT param_key AS k, param_value AS v FROM logged_model_params WHERE model_id = ? AND " +
        "param_key = ANY(?::text[])",
      modelId,
      params.map((p) => p.key),
    );
    const byKey = new Map(old.map((o) => [o.k, o.v]));
    const p = params.find((p) => byKey.has(p.key) && byKey.get(p.key) !== p.value);
    if (p) throw modelParamChanged(modelId, p.key, byKey.get(p.key)!, p.value);
  };
  await check();
  const firstOf = new Map<string, string>();
  for (const p of params) if (!firstOf.has(p.key)) firstOf.set(p.key, p.value);
  const first = [...firstOf.entries()];
  await w.run(
    "INSERT INTO logged_model_params (model_id, experiment_id, param_key, param_value) " +
      "SELECT ?, ?, k, v FROM unnest(?::text[], ?::text[]) AS x(k, v) ON CONFLICT DO NOTHING",
    modelId,
    BigInt(exp),
    first.map((p) => p[0]),
    first.map((p) => p[1]),
  );
  await check(); // a concurrent writer's first value may have won
}

/**
 * The points of a run's batch that carry a model id, added to `logged_model_metrics` as MLflow
 * writes them (NaN as 0, ±Infinity as ±max double, exact repeats ignored). Every model must
 * exist, deleted ones included (MLflow's foreign key).
 */
export async function insertModelMetrics(
  w: Q,
  runId: string,
  experimentId: bigint,
  metrics: Metric[],
): Promise<void> {
  const points = metrics.filter((m) => m.modelId);
  if (points.length === 0) return;
  for (const id of new Set(points.map((m) => m.modelId!))) await modelExperiment(w, id, true);
  const col = <T>(f: (m: Metric) => T) => points.map(f);
  await w.run(
    "INSERT INTO logged_model_metrics (model_id, metric_name, metric_timestamp_ms, metric_step, " +
      "metric_value, experiment_id, run_id, dataset_uuid, dataset_name, dataset_digest) " +
      "SELECT id, k, t, s, v, ?, ?, NULL, dn, dd FROM unnest(?::text[], ?::text[], ?::int8[], " +
      "?::int8[], ?::float8[], ?::text[], ?::text[]) AS x(id, k, t, s, v, dn, dd) " +
      "ON CONFLICT DO NOTHING",
    experimentId,
    runId,
    col((m) => m.modelId!),
    col((m) => m.key),
    col((m) => m.timestamp),
    col((m) => m.step),
    col((m) => storedMetricValue(m.value)),
    col((m) => m.datasetName ?? null),
    col((m) => m.datasetDigest ?? null),
  );
}

/** Links models to a run as inputs or outputs, once per model and run. */
export async function insertModelLinks(
  w: Q,
  runId: string,
  kind: "input" | "output",
  models: (ModelInput | ModelOutput)[],
  newId: () => string,
): Promise<void> {
  const [source, dest] = linkTypes(kind);
  for (const m of models) {
    await w.run(
      "INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, " +
        "destination_id, step) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
      newId(),
      source,
      runId,
      dest,
      m.modelId,
      "step" in m ? m.step : 0,
    );
  }
}

/** Whole models in the order of `ids` (absent ones skipped). */
export async function modelsByIds(s: Q, ids: string[]): Promise<LoggedModel[]> {
  if (ids.length === 0) return [];
  const json = JSON.stringify(ids);
  const kv = (table: string, key: string, value: string) =>
    s.arrays(
      `SELECT t.${key}, t.${value}, ${IDX} FROM ${eachId(table, "t", "t.model_id = j.value")} ` +
        `ORDER BY t.${key}`,
      json,
    ) as Promise<KeyValueRow[]>;
  const [rows, tags, params, points] = await Promise.all([
    s.arrays(
      `SELECT ${MODEL_COLUMNS}, ${IDX} FROM ${
        eachId("logged_models", "m", "m.model_id = j.value")
      }`,
      json,
    ) as Promise<ModelRow[]>,
    kv("logged_model_tags", "tag_key", "tag_value"),
    kv("logged_model_params", "param_key", "param_value"),
    // Logging order: the heap order of rows only ever inserted.
    s.arrays(
      "SELECT mm.metric_name, mm.metric_value, mm.metric_timestamp_ms, mm.metric_step, " +
        `mm.run_id, mm.dataset_name, mm.dataset_digest, ${IDX} FROM ` +
        eachId("logged_model_metrics", "mm", "mm.model_id = j.value", "mm.*, mm.ctid AS wo") +
        " ORDER BY mm.wo",
      json,
    ) as Promise<PointRow[]>,
  ]);
  return assembleModels(ids.length, rows, tags, params, points);
}

/** Removes models with their params, tags and metrics (every model of `where`). */
export async function deleteModelRows(w: Q, where: string, ...params: (string | bigint)[]) {
  for (const sql of deleteModelsSql(where)) await w.run(sql, ...params);
}
