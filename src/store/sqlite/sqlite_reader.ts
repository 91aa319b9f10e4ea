/**
 * Reads of the SQLite store: experiments, runs (in bulk, for search pages); metric histories are
 * in sqlite_history.ts.
 * Every query names its columns, so the extra columns of newer MLflow releases are ignored.
 */
import { invalidParam, notFound } from "../../errors.ts";
import type { DatasetInput, Experiment, Param, Run, RunInfo, Tag } from "../../model.ts";
import type { Statements } from "./connection.ts";
import {
  datasetFromRow,
  type DatasetRow,
  EXPERIMENT_COLUMNS,
  experimentFromRow,
  type ExperimentRow,
  METRIC_COLUMNS,
  metricFromRow,
  type MetricRow,
  RUN_COLUMNS,
  runInfoFromRow,
  type RunRow,
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
  const row = s.one<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs r WHERE r.run_uuid = ?`, runId);
  if (!row) throw notFound(`Run with id=${runId} not found`);
  return runInfoFromRow(row);
}

interface KeyValueRow {
  run_uuid: string;
  key: string;
  value: string | null;
}

/** Whole runs (info, latest metrics, params, tags, dataset inputs) in the order of `ids`. */
export function runsByIds(s: Statements, ids: string[]): Run[] {
  if (ids.length === 0) return [];
  const json = JSON.stringify(ids);
  const runs = new Map<string, Run>();
  for (
    const row of s.all<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM runs r WHERE r.run_uuid ${IN_JSON}`,
      json,
    )
  ) {
    runs.set(row.run_uuid, {
      info: runInfoFromRow(row),
      data: { metrics: [], params: [], tags: [] },
      inputs: { datasetInputs: [] },
    });
  }
  const metrics = s.all<MetricRow & { run_uuid: string }>(
    `SELECT run_uuid, ${METRIC_COLUMNS} FROM latest_metrics WHERE run_uuid ${IN_JSON} ORDER BY key`,
    json,
  );
  for (const m of metrics) runs.get(m.run_uuid)?.data.metrics.push(metricFromRow(m));
  const kv = (table: string, into: (r: Run) => (Param | Tag)[]) => {
    const rows = s.all<KeyValueRow>(
      `SELECT run_uuid, key, value FROM ${table} WHERE run_uuid ${IN_JSON} ORDER BY key`,
      json,
    );
    for (const r of rows) {
      const run = runs.get(r.run_uuid);
      if (run) into(run).push({ key: r.key, value: r.value ?? "" });
    }
  };
  kv("params", (r) => r.data.params);
  kv("tags", (r) => r.data.tags);
  addInputs(s, json, runs);
  return ids.map((id) => runs.get(id)).filter((r): r is Run => r !== undefined);
}

function addInputs(s: Statements, json: string, runs: Map<string, Run>): void {
  const rows = s.all<DatasetRow & { run_uuid: string; input_uuid: string }>(
    "SELECT i.destination_id AS run_uuid, i.input_uuid, d.name, d.digest, " +
      "d.dataset_source_type, d.dataset_source, d.dataset_schema, d.dataset_profile " +
      "FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id " +
      "WHERE i.source_type = 'DATASET' AND i.destination_type = 'RUN' " +
      `AND i.destination_id ${IN_JSON} ORDER BY i.rowid`,
    json,
  );
  if (rows.length === 0) return;
  const byInput = new Map<string, DatasetInput>();
  for (const r of rows) {
    if (byInput.has(r.input_uuid)) continue;
    const input: DatasetInput = { tags: [], dataset: datasetFromRow(r) };
    byInput.set(r.input_uuid, input);
    runs.get(r.run_uuid)?.inputs.datasetInputs.push(input);
  }
  const tags = s.all<{ input_uuid: string; name: string; value: string }>(
    `SELECT input_uuid, name, value FROM input_tags WHERE input_uuid ${IN_JSON} ORDER BY rowid`,
    JSON.stringify([...byInput.keys()]),
  );
  for (const t of tags) byInput.get(t.input_uuid)?.tags.push({ key: t.name, value: t.value });
}

/** One run, whole; RESOURCE_DOES_NOT_EXIST when absent. */
export function runById(s: Statements, runId: string): Run {
  const [run] = runsByIds(s, [runId]);
  if (!run) throw notFound(`Run with id=${runId} not found`);
  return run;
}
