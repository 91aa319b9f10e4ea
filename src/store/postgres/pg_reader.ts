/**
 * Reads of the PostgreSQL store: experiments, runs in bulk (for search pages) and the two
 * searches, compiled by the SQLite store's pure SQL builder (sqlite/sql.ts) in the POSTGRES
 * dialect. A page of ids is joined to its rows through one bound JSON array WITH ORDINALITY, so
 * every page size shares one prepared statement per table. Every query names its columns, so the
 * extra columns of newer MLflow releases are ignored.
 */
import { notFound } from "../../errors.ts";
import type { Experiment, Page, Run, RunInfo } from "../../model.ts";
import { parseExperimentFilter } from "../../search/filter.ts";
import { parseExperimentOrderBy } from "../../search/order_by.ts";
import { decodePageToken } from "../../search/page_token.ts";
import type { SearchExperimentsRequest, SearchRunsRequest } from "../store.ts";
import {
  attachDatasetInputs,
  attachInputTags,
  experimentFromRow,
  type ExperimentRow,
  metricFromValues,
  type MetricValues,
  PG_COLUMNS,
  type RunDatasetRow,
  runInfoFromValues,
  type RunValues,
} from "../sqlite/rows.ts";
import {
  compileDriverSample,
  compileRunSearch,
  type DriverSample,
  POSTGRES,
  type RunSearch,
} from "../sqlite/sql.ts";
import { compileExperimentSearch } from "../sqlite/sql_experiments.ts";
import {
  driverCandidates,
  type DriverChoices,
  maxResults,
  page,
  pickDriver,
  runSearchOf,
  SAMPLE,
  stagesOf,
} from "../sqlite/sqlite_search.ts";
import { sqlExperimentId } from "../sqlite/sqlite_reader.ts";
import { eachId, IDS, type Q } from "./pg_db.ts";
import { attachModelLinks } from "../sqlite/model_rows.ts";

/** Experiments by id, with their tags, in the order of `ids` (missing ones skipped). */
export async function experimentsByIds(s: Q, ids: string[]): Promise<Experiment[]> {
  if (ids.length === 0) return [];
  const json = JSON.stringify(ids);
  const rows = await s.all<ExperimentRow>(
    `SELECT ${PG_COLUMNS.experiment} FROM ${IDS} JOIN experiments e ON ` +
      "e.experiment_id = j.value::int",
    json,
  );
  const byId = new Map(rows.map((r) => [r.experiment_id, experimentFromRow(r)]));
  const tags = await s.all<{ experiment_id: string; key: string; value: string | null }>(
    "SELECT CAST(t.experiment_id AS TEXT) AS experiment_id, t.key, t.value FROM " +
      `${IDS} JOIN experiment_tags t ON t.experiment_id = j.value::int ORDER BY t.key`,
    json,
  );
  for (const t of tags) byId.get(t.experiment_id)?.tags.push({ key: t.key, value: t.value ?? "" });
  return ids.map((id) => byId.get(id)).filter((e): e is Experiment => e !== undefined);
}

/** An experiment by id; RESOURCE_DOES_NOT_EXIST when absent. */
export async function experimentById(s: Q, id: string): Promise<Experiment> {
  const n = sqlExperimentId(id);
  // INTEGER column: an id beyond 32 bits names no experiment (and must not be cast).
  const [exp] = n >= -2147483648n && n <= 2147483647n ? await experimentsByIds(s, [String(n)]) : [];
  if (!exp) throw notFound(`No Experiment with id=${id} exists`);
  return exp;
}

/** An experiment by name (any lifecycle stage), or undefined. */
export async function experimentByName(s: Q, name: string): Promise<Experiment | undefined> {
  const row = await s.one<{ id: string }>(
    "SELECT CAST(experiment_id AS TEXT) AS id FROM experiments WHERE name = ? " +
      "ORDER BY experiment_id LIMIT 1",
    name,
  );
  return row ? (await experimentsByIds(s, [row.id]))[0] : undefined;
}

/** A run's info; RESOURCE_DOES_NOT_EXIST when absent. */
export async function runInfo(s: Q, runId: string): Promise<RunInfo> {
  const [row] = await s.arrays(`SELECT ${PG_COLUMNS.run} FROM runs r WHERE r.run_uuid = ?`, runId);
  if (!row) throw notFound(`Run with id=${runId} not found`);
  return runInfoFromValues(row as RunValues);
}

// A run's info as runInfoFromValues() reads it (PG_COLUMNS.run without its alias, which a JSON
// array's items cannot have).
const RUN_VALUES = PG_COLUMNS.run.replace(" AS experiment_id", "");

// The JSON array (or null) of `item` for each row of `from` (over the j CTE), in `order`.
const jsonRows = (item: string, from: string, order = "") =>
  `(SELECT json_agg(${item}${order && ` ORDER BY ${order}`}) FROM ${from})`;

// The rows of `table` (as `alias`) of each run of `j`, as one JSON array of arrays: `values`, then
// the run's index in the id list, looked up run by run (eachId()).
const rowsOfEach = (values: string, table: string, alias: string, order = "") =>
  jsonRows(
    `json_build_array(${values}, j.i)`,
    eachId(table, alias, `${alias}.run_uuid = j.value`, "*", "j"),
    order,
  );

// A run's dataset inputs as attachDatasetInputs() reads them, in the order they were written.
const DATASETS = jsonRows(
  "json_build_object('run_index', j.i, 'input_uuid', i.input_uuid, 'name', d.name, 'digest', " +
    "d.digest, 'dataset_source_type', d.dataset_source_type, 'dataset_source', " +
    "d.dataset_source, 'dataset_schema', d.dataset_schema, 'dataset_profile', d.dataset_profile)",
  eachId(
    "inputs",
    "i",
    "i.destination_id = j.value AND i.destination_type = 'RUN' AND i.source_type = 'DATASET'",
    "i.*, i.ctid AS write_order",
    "j",
  ) + " JOIN datasets d ON d.dataset_uuid = i.source_id",
  "i.write_order",
);

// A run's logged-model inputs and outputs as attachModelLinks() reads them.
const MODEL_LINKS = jsonRows(
  "json_build_array(j.i, i.source_type, i.destination_id, i.step)",
  eachId(
    "inputs",
    "i",
    "i.source_type IN ('RUN_INPUT', 'RUN_OUTPUT') AND i.source_id = j.value AND " +
      "i.destination_type IN ('MODEL_INPUT', 'MODEL_OUTPUT')",
    "*",
    "j",
  ),
  "j.i, i.source_type, i.destination_id",
);

/**
 * Two statements for the info, latest metrics, params, tags, dataset inputs and model links of
 * the runs of a bound JSON array of ids: a JSON array per table, each item a row and its run's
 * index. Two plans instead of six, and six values for postgres.js to read instead of a message
 * per row (a page of 100 runs holds ~1,500 rows): B4's server CPU per search 4.0 → 2.8 ms. Two,
 * not one: each table's lookups take PostgreSQL ~1 ms for 100 runs, and two statements run on two
 * connections at once.
 */
const withIds = `WITH j AS MATERIALIZED (SELECT value, n - 1 AS i FROM ${IDS}) SELECT `;
const RUNS_METRICS_SQL = withIds + `${rowsOfEach(RUN_VALUES, "runs", "r")} AS runs, ` +
  `${rowsOfEach(PG_COLUMNS.metric, "latest_metrics", "m", "m.key")} AS metrics, ` +
  `${MODEL_LINKS} AS links`;
const PARAMS_TAGS_SQL = withIds +
  `${rowsOfEach("t.key, t.value", "params", "t", "t.key")} AS params, ` +
  `${rowsOfEach("t.key, t.value", "tags", "t", "t.key")} AS tags, ` +
  `${DATASETS} AS datasets`;

interface RunPage {
  runs: [...RunValues, number][] | null;
  metrics: [...MetricValues, number][] | null;
  links: [number, string, string, number][] | null;
  params: [string, string | null, number][] | null;
  tags: [string, string | null, number][] | null;
  datasets: RunDatasetRow[] | null;
}

/**
 * Whole runs (info, latest metrics, params, tags, inputs, outputs) in the order of `ids`. Model
 * inputs only with `modelInputs`: MLflow's SQL store sends them from runs/get, not runs/search.
 * The two statements run at once, each on a free connection of the pool.
 */
export async function runsByIds(s: Q, ids: string[], modelInputs = false): Promise<Run[]> {
  if (ids.length === 0) return [];
  const unique = [...new Set(ids)];
  const json = JSON.stringify(unique);
  const runs: (Run | undefined)[] = new Array(unique.length).fill(undefined);
  const [runRows, keyRows] = await Promise.all([
    s.oneGeneric<Pick<RunPage, "runs" | "metrics" | "links">>(RUNS_METRICS_SQL, json),
    s.oneGeneric<Pick<RunPage, "params" | "tags" | "datasets">>(PARAMS_TAGS_SQL, json),
  ]);
  for (const row of runRows?.runs ?? []) {
    runs[row[10]] = {
      info: runInfoFromValues(row as unknown as RunValues),
      data: { metrics: [], params: [], tags: [] },
      inputs: { datasetInputs: [] },
    };
  }
  for (const row of runRows?.metrics ?? []) {
    // JSON spells NaN and ±Infinity as strings.
    if (typeof row[1] === "string") row[1] = Number(row[1]);
    runs[row[5]]?.data.metrics.push(metricFromValues(row as unknown as MetricValues));
  }
  for (const [key, value, i] of keyRows?.params ?? []) {
    runs[i]?.data.params.push({ key, value: value ?? "" });
  }
  for (const [key, value, i] of keyRows?.tags ?? []) {
    runs[i]?.data.tags.push({ key, value: value ?? "" });
  }
  attachModelLinks(runs, modelInputs, runRows?.links ?? []);
  const inputs = keyRows?.datasets ?? [];
  if (inputs.length > 0) await addInputTags(s, attachDatasetInputs(runs, inputs));
  const byId = new Map(unique.map((id, i) => [id, runs[i]]));
  return ids.map((id) => byId.get(id)).filter((r): r is Run => r !== undefined);
}

async function addInputTags(s: Q, byInput: ReturnType<typeof attachDatasetInputs>): Promise<void> {
  const tags = await s.all<{ input_uuid: string; name: string; value: string }>(
    "SELECT t.input_uuid, t.name, t.value FROM input_tags t WHERE t.input_uuid IN " +
      `(${POSTGRES.jsonValues}) ORDER BY t.ctid`,
    JSON.stringify([...byInput.keys()]),
  );
  attachInputTags(byInput, tags);
}

/** One run, whole; RESOURCE_DOES_NOT_EXIST when absent. */
export async function runById(s: Q, runId: string): Promise<Run> {
  const [run] = await runsByIds(s, [runId], true);
  if (!run) throw notFound(`Run with id=${runId} not found`);
  return run;
}

/** One page of experiments. */
export async function searchExperiments(
  s: Q,
  req: SearchExperimentsRequest,
): Promise<Page<Experiment>> {
  const max = maxResults(req.maxResults);
  const offset = decodePageToken(req.pageToken);
  const q = compileExperimentSearch({
    stages: stagesOf(req.viewType),
    filter: parseExperimentFilter(req.filter),
    order: parseExperimentOrderBy(req.orderBy),
    limit: max + 1,
    offset,
    dialect: POSTGRES,
  });
  const ids = (await s.all<{ experiment_id: string }>(q.sql, ...q.params))
    .map((x) => x.experiment_id);
  return page(await experimentsByIds(s, ids.slice(0, max)), ids.length > max, offset + max);
}

/**
 * The comparison whose key drives a run search (sqlite_search.ts's rule, from the same samples of
 * the candidate keys, taken at once on several connections). PostgreSQL's own statistics are not
 * enough: it takes a param's key and value for independent, and for `params.lr = '0.01'` (a third
 * of 10,000 runs) expected 641 rows instead of 3,333, so it started from them (bench/, B4).
 */
async function chooseDriver(s: Q, search: RunSearch): Promise<number | undefined> {
  const samples = await Promise.all(
    driverCandidates(search).map(async (i) => {
      const q = compileDriverSample(search, i, SAMPLE);
      return [i, (await s.one<DriverSample>(q.sql, ...q.params))!] as [number, DriverSample];
    }),
  );
  return pickDriver(samples);
}

/** One page of runs of the given experiments (the driver from `drivers` when it has one). */
export async function searchRuns(
  s: Q,
  req: SearchRunsRequest,
  drivers?: DriverChoices,
): Promise<Page<Run>> {
  const of = runSearchOf(req);
  if (!of) return { items: [] };
  const { search, max } = of;
  const pg = { ...search, dialect: POSTGRES };
  const choose = () => chooseDriver(s, pg);
  const q = compileRunSearch({ ...pg, driver: await (drivers?.get(pg, choose) ?? choose()) });
  const runIds = (await s.all<{ run_uuid: string }>(q.sql, ...q.params)).map((x) => x.run_uuid);
  return page(await runsByIds(s, runIds.slice(0, max)), runIds.length > max, search.offset + max);
}
