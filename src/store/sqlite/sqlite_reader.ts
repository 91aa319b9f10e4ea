/**
 * Reads of the SQLite store: experiments, runs (in bulk, for search pages); metric histories are
 * in sqlite_history.ts.
 * Every query names its columns, so the extra columns of newer MLflow releases are ignored.
 */
import { invalidParam, notFound } from "../../errors.ts";
import type { Experiment, Run, RunInfo, Tag } from "../../model.ts";
import type { Statements } from "./connection.ts";
import { addModelLinks } from "./sqlite_models.ts";
import {
  attachDatasetInputs,
  attachInputTags,
  EXPERIMENT_COLUMNS,
  experimentFromRow,
  type ExperimentRow,
  METRIC_COLUMNS,
  metricFromValues,
  type MetricValues,
  RUN_COLUMNS,
  type RunDatasetRow,
  runInfoFromValues,
  type RunValues,
} from "./rows.ts";

const INT64_MAX = 9223372036854775807n;

/** An experiment id as the INTEGER it is in SQL; INVALID_PARAMETER_VALUE when it is not one. */
export function sqlExperimentId(id: string): bigint {
  if (/^-?\d{1,19}$/.test(id)) {
    const n = BigInt(id);
    if (n <= INT64_MAX && n >= -INT64_MAX - 1n) return n;
  }
  throw invalidParam(
    `Invalid experiment ID '${id}'. Experiment ID must be a valid integer.`,
  );
}

const IN_JSON = "IN (SELECT value FROM json_each(?))";

function tagsOf(s: Statements, sql: string, key: string | bigint): Tag[] {
  return s.all<{ key: string; value: string | null }>(sql, key).map((t) => ({
    key: t.key,
    value: t.value ?? "",
  }));
}

/** Experiments by id, with their tags, in the order of `ids` (missing ones skipped). */
export function experimentsByIds(s: Statements, ids: string[]): Experiment[] {
  if (ids.length === 0) return [];
  const json = JSON.stringify(ids);
  const rows = s.all<ExperimentRow>(
    `SELECT ${EXPERIMENT_COLUMNS} FROM experiments e WHERE e.experiment_id ${IN_JSON}`,
    json,
  );
  const byId = new Map(rows.map((r) => [r.experiment_id, experimentFromRow(r)]));
  const tags = s.all<{ experiment_id: string; key: string; value: string | null }>(
    "SELECT CAST(experiment_id AS TEXT) AS experiment_id, key, value FROM experiment_tags " +
      `WHERE experiment_id ${IN_JSON} ORDER BY key`,
    json,
  );
  for (const t of tags) byId.get(t.experiment_id)?.tags.push({ key: t.key, value: t.value ?? "" });
  return ids.map((id) => byId.get(id)).filter((e): e is Experiment => e !== undefined);
}

/** An experiment by id; RESOURCE_DOES_NOT_EXIST when absent. */
export function experimentById(s: Statements, id: string): Experiment {
  const row = s.one<ExperimentRow>(
    `SELECT ${EXPERIMENT_COLUMNS} FROM experiments e WHERE e.experiment_id = ?`,
    sqlExperimentId(id),
  );
  if (!row) throw notFound(`No Experiment with id=${id} exists`);
  const exp = experimentFromRow(row);
  exp.tags = tagsOf(
    s,
    "SELECT key, value FROM experiment_tags WHERE experiment_id = ? ORDER BY key",
    BigInt(row.experiment_id),
  );
  return exp;
}

/** An experiment by name (any lifecycle stage), or undefined. */
export function experimentByName(s: Statements, name: string): Experiment | undefined {
  const row = s.one<{ id: string }>(
    "SELECT CAST(experiment_id AS TEXT) AS id FROM experiments WHERE name = ? " +
      "ORDER BY experiment_id LIMIT 1",
    name,
  );
  return row ? experimentById(s, row.id) : undefined;
}

/** A run's info; RESOURCE_DOES_NOT_EXIST when absent. */
export function runInfo(s: Statements, runId: string): RunInfo {
  const [row] = s.arrays(`SELECT ${RUN_COLUMNS} FROM runs r WHERE r.run_uuid = ?`, runId);
  if (!row) throw notFound(`Run with id=${runId} not found`);
  return runInfoFromValues(row as RunValues);
}

// Rows of the tables joined to the ids end with `j.key`, the run's index in the id list: no
// run_uuid string per row and no map lookup (a search page reads ~1,000 such rows). CROSS JOIN
// keeps the ids as the outer loop whatever the planner's statistics say (the other way round
// would scan the whole table).
const JOIN_IDS = "FROM json_each(?) j CROSS JOIN";

/**
 * Whole runs (info, latest metrics, params, tags, inputs, outputs) in the order of `ids`. Model
 * inputs only with `modelInputs`: MLflow's SQL store sends them from runs/get, not runs/search.
 */
export function runsByIds(s: Statements, ids: string[], modelInputs = false): Run[] {
  if (ids.length === 0) return [];
  const unique = new Set(ids).size === ids.length ? ids : [...new Set(ids)];
  const json = JSON.stringify(unique);
  const runs: (Run | undefined)[] = new Array(unique.length).fill(undefined);
  for (
    const row of s.arrays(
      `SELECT ${RUN_COLUMNS}, j.key ${JOIN_IDS} runs r ON r.run_uuid = j.value`,
      json,
    ) as [...RunValues, number][]
  ) {
    runs[row[10]] = {
      info: runInfoFromValues(row as unknown as RunValues),
      data: { metrics: [], params: [], tags: [] },
      inputs: { datasetInputs: [] },
    };
  }
  for (
    const row of s.arrays(
      `SELECT ${METRIC_COLUMNS}, j.key ${JOIN_IDS} latest_metrics m ON m.run_uuid = j.value ` +
        "ORDER BY m.key",
      json,
    ) as [...MetricValues, number][]
  ) {
    runs[row[5]]?.data.metrics.push(metricFromValues(row as unknown as MetricValues));
  }
  for (const table of ["params", "tags"] as const) {
    for (
      const [key, value, i] of s.arrays(
        `SELECT t.key, t.value, j.key ${JOIN_IDS} ${table} t ON t.run_uuid = j.value ORDER BY t.key`,
        json,
      ) as [string, string | null, number][]
    ) {
      runs[i]?.data[table].push({ key, value: value ?? "" });
    }
  }
  addInputs(s, json, runs);
  addModelLinks(s, json, runs, modelInputs);
  const found = unique === ids ? runs : ids.map((id) => runs[unique.indexOf(id)]);
  return found.filter((r): r is Run => r !== undefined);
}

function addInputs(s: Statements, json: string, runs: (Run | undefined)[]): void {
  const rows = s.all<RunDatasetRow>(
    "SELECT j.key AS run_index, i.input_uuid, d.name, d.digest, " +
      "d.dataset_source_type, d.dataset_source, d.dataset_schema, d.dataset_profile " +
      `${JOIN_IDS} inputs i ON i.destination_id = j.value ` +
      "JOIN datasets d ON d.dataset_uuid = i.source_id " +
      "WHERE i.source_type = 'DATASET' AND i.destination_type = 'RUN' ORDER BY i.rowid",
    json,
  );
  if (rows.length === 0) return;
  const byInput = attachDatasetInputs(runs, rows);
  const tags = s.all<{ input_uuid: string; name: string; value: string }>(
    `SELECT input_uuid, name, value FROM input_tags WHERE input_uuid ${IN_JSON} ORDER BY rowid`,
    JSON.stringify([...byInput.keys()]),
  );
  attachInputTags(byInput, tags);
}

/** One run, whole; RESOURCE_DOES_NOT_EXIST when absent. */
export function runById(s: Statements, runId: string): Run {
  const [run] = runsByIds(s, [runId], true);
  if (!run) throw notFound(`Run with id=${runId} not found`);
  return run;
}
