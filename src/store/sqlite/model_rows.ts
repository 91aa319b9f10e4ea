/**
 * The pure parts of the logged-model stores (SQLite's sqlite_models.ts, PostgreSQL's
 * pg_models.ts): the SQL text both dialects share, the argument lists, MLflow's messages and the
 * decoding of rows (read as arrays) into LoggedModel entities.
 */
import { invalidParam, notFound } from "../../errors.ts";
import {
  LOGGED_MODEL_STATUSES,
  type LoggedModel,
  type Metric,
  type Param,
  type Run,
  type Tag,
} from "../../model.ts";
import { pyRepr } from "../../search/page_token.ts";
// Pure URI math shared with the file store (no I/O, no YAML).
import { appendUriPath } from "../file/layout.ts";
import { decodeMetricValue } from "./rows.ts";

/** MLflow's SQL store message for a model id that is absent (or deleted). */
export function modelNotFound(modelId: string) {
  return notFound(`Logged model with ID '${modelId}' not found.`);
}

/** MLflow's message for deleting a tag a model does not have. */
export function modelTagNotFound(modelId: string, key: string) {
  return notFound(`No tag with key ${pyRepr(key)} found for model with ID ${pyRepr(modelId)}.`);
}

/** MLflow's message for logging another value of a model's param. */
export function modelParamChanged(modelId: string, key: string, old: string, value: string) {
  return invalidParam(
    `Changing param values is not allowed. Param with key='${key}' was already logged ` +
      `with value='${old}' for logged model ID='${modelId}'. Attempted logging new value ` +
      `'${value}'.`,
  );
}

/** What a new model takes from its request (validated), `id` its experiment as an integer. */
export interface NewModel {
  experimentId: string;
  id: bigint;
  modelId: string;
  name: string;
  params: Param[];
  tags: Tag[];
  modelType?: string;
  sourceRunId?: string;
}

/**
 * A new model (PENDING, stamped `now()`) in the experiment `exp` (run_statements.ts's
 * RUN_EXPERIMENT_SQL row): RESOURCE_DOES_NOT_EXIST when absent, INVALID_PARAMETER_VALUE unless
 * active, as MLflow's SQL store answers.
 */
export function newModelRow(
  exp: { s: string | null; loc: string | null } | undefined,
  m: NewModel,
  now: () => number,
): LoggedModel {
  if (!exp) throw notFound(`No Experiment with id=${m.experimentId} exists`);
  if ((exp.s ?? "active") !== "active") {
    throw invalidParam(
      `The experiment ${m.experimentId} must be in the 'active' state. Current state is ` +
        `${exp.s}.`,
    );
  }
  const time = now();
  return {
    modelId: m.modelId,
    experimentId: String(m.id),
    name: m.name,
    artifactLocation: appendUriPath(exp.loc ?? "", "models", m.modelId, "artifacts"),
    creationTimestamp: time,
    lastUpdatedTimestamp: time,
    status: "PENDING",
    modelType: m.modelType,
    sourceRunId: m.sourceRunId,
    tags: m.tags,
    params: m.params,
    metrics: [],
  };
}

/** The experiment (as text, `e`) and lifecycle stage (`stage`) of the model `?`. */
export const MODEL_EXPERIMENT_SQL =
  "SELECT CAST(experiment_id AS TEXT) AS e, lifecycle_stage AS stage FROM logged_models " +
  "WHERE model_id = ?";

/** Deletes the tag `?` of the model `?`. */
export const DELETE_MODEL_TAG_SQL =
  "DELETE FROM logged_model_tags WHERE model_id = ? AND tag_key = ?";

/** `INSERT … INTO logged_models (…) VALUES (…)` (`verb` is the dialect's INSERT) for modelRowArgs. */
export function insertModelSql(verb = "INSERT"): string {
  return `${verb} INTO logged_models (model_id, experiment_id, name, artifact_location, ` +
    "creation_timestamp_ms, last_updated_timestamp_ms, status, lifecycle_stage, model_type, " +
    "source_run_id, status_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
}

/** The values of a model's row, in insertModelSql's order. */
export function modelRowArgs(m: LoggedModel, stage: string) {
  return [
    m.modelId,
    BigInt(m.experimentId),
    m.name,
    m.artifactLocation,
    m.creationTimestamp,
    m.lastUpdatedTimestamp,
    LOGGED_MODEL_STATUSES.indexOf(m.status),
    stage,
    m.modelType ?? null,
    m.sourceRunId ?? null,
    m.statusMessage ?? null,
  ] as const;
}

/** The `inputs` edge types of a run's model inputs or outputs: [source, destination]. */
export function linkTypes(kind: "input" | "output"): [string, string] {
  return kind === "input" ? ["RUN_INPUT", "MODEL_INPUT"] : ["RUN_OUTPUT", "MODEL_OUTPUT"];
}

/** The statements removing every model of `where` with its params, tags and metrics. */
export function deleteModelsSql(where: string): string[] {
  const ids = `SELECT model_id FROM logged_models WHERE ${where}`;
  return [
    ...["logged_model_metrics", "logged_model_params", "logged_model_tags"].map((table) =>
      `DELETE FROM ${table} WHERE model_id IN (${ids})`
    ),
    `DELETE FROM logged_models WHERE ${where}`,
  ];
}

/** The columns of a model row `m` that ModelRow decodes (followed by the index of its id). */
export const MODEL_COLUMNS = "m.model_id, CAST(m.experiment_id AS TEXT), m.name, " +
  "m.artifact_location, m.creation_timestamp_ms, m.last_updated_timestamp_ms, m.status, " +
  "m.model_type, m.source_run_id, m.status_message";

/** A MODEL_COLUMNS row and the index of its id in the list read. */
export type ModelRow = [string, string, string, string, number, number, number, ...unknown[]];
/** A key, its value and the index of the model's id. */
export type KeyValueRow = [string, string, number];
/** A model's metric point: name, value, timestamp, step, run id, dataset name and digest, index. */
export type PointRow = [
  string,
  number | null,
  number,
  number,
  string,
  string | null,
  string | null,
  number,
];

/** Whole models in the order of their ids (`count` of them, absent ones skipped) from rows. */
export function assembleModels(
  count: number,
  rows: ModelRow[],
  tags: KeyValueRow[],
  params: KeyValueRow[],
  points: PointRow[],
): LoggedModel[] {
  const models: (LoggedModel | undefined)[] = new Array(count).fill(undefined);
  for (const r of rows) {
    const m: LoggedModel = {
      modelId: r[0],
      experimentId: r[1],
      name: r[2],
      artifactLocation: r[3],
      creationTimestamp: r[4],
      lastUpdatedTimestamp: r[5],
      status: LOGGED_MODEL_STATUSES[r[6]] ?? "UNSPECIFIED",
      tags: [],
      params: [],
      metrics: [],
    };
    if (r[7] !== null) m.modelType = r[7] as string;
    if (r[8] !== null) m.sourceRunId = r[8] as string;
    if (r[9] !== null) m.statusMessage = r[9] as string;
    models[r[10] as number] = m;
  }
  for (const [k, v, i] of tags) models[i]?.tags.push({ key: k, value: v });
  for (const [k, v, i] of params) models[i]?.params.push({ key: k, value: v });
  for (const [key, value, timestamp, step, runId, dsName, dsDigest, i] of points) {
    const model = models[i];
    if (!model) continue;
    const m: Metric = { key, value: decodeMetricValue(value, 0), timestamp, step };
    if (dsName !== null) m.datasetName = dsName;
    if (dsDigest !== null) m.datasetDigest = dsDigest;
    m.modelId = model.modelId;
    m.runId = runId;
    model.metrics.push(m);
  }
  return models.filter((m): m is LoggedModel => m !== undefined);
}

/**
 * Sets runs' model outputs, and their model inputs when `inputs`, from `inputs` edges read as
 * [index of the run, source type, model id, step].
 */
export function attachModelLinks(
  runs: (Run | undefined)[],
  inputs: boolean,
  rows: [number, string, string, number][],
): void {
  for (const r of runs) {
    if (!r) continue;
    if (inputs) r.inputs.modelInputs = [];
    r.outputs = { modelOutputs: [] };
  }
  for (const [i, type, modelId, step] of rows) {
    const run = runs[i];
    if (!run) continue;
    if (type === "RUN_INPUT") run.inputs.modelInputs?.push({ modelId });
    else run.outputs!.modelOutputs.push({ modelId, step });
  }
}
