/**
 * Shared by the file-store interop tests (file_read_, file_write_ and file_roundtrip_compat_test.ts):
 * the JSON shape tests/compat/read_tree.py prints for MLflow's reading of an mlruns tree, mlt's
 * reading in the same shape, fixtures checked out to temp dirs, and byte snapshots of trees.
 */
import assert from "node:assert/strict";
import { openStore } from "../../src/store/open.ts";
import type { TrackingStore } from "../../src/store/store.ts";
import type { DatasetInput, Experiment, Metric, Run, ViewType } from "../../src/model.ts";
import { REPO_ROOT, runPython } from "./python.ts";

export const FIXTURES = `${REPO_ROOT}/tests/fixtures`;
export const READ_TREE = `${REPO_ROOT}/tests/compat/read_tree.py`;
export const T0 = 1_700_000_000_000;

// ---------------------------------------------------------------------------------------------
// The JSON shape of read_tree.py and tests/fixtures/*.expected.json
// ---------------------------------------------------------------------------------------------

export type JsonFloat = number | "NaN" | "Infinity" | "-Infinity";

export interface PointJson {
  value: JsonFloat;
  timestamp: number;
  step: number;
  dataset_name?: string;
  dataset_digest?: string;
}

export interface ExperimentJson {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time: number | null;
  last_update_time: number | null;
  tags: Record<string, string>;
}

export interface DatasetInputJson {
  tags: Record<string, string>;
  dataset: {
    name: string;
    digest: string;
    source_type: string;
    source: string;
    schema: string | null;
    profile: string | null;
  };
}

export interface RunJson {
  run_id: string;
  experiment_id: string;
  run_name: string | null;
  user_id: string;
  status: string;
  start_time: number | null;
  end_time: number | null;
  artifact_uri: string;
  lifecycle_stage: string;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, PointJson>;
  metric_history: Record<string, PointJson[]>;
  dataset_inputs: DatasetInputJson[];
}

export interface SearchJson {
  active_experiment_ids: string[];
  deleted_experiment_ids: string[];
  active_run_ids: string[];
  deleted_run_ids: string[];
}

export interface TreeJson {
  mlflow_version: string;
  experiments: ExperimentJson[];
  runs: RunJson[];
  search: SearchJson;
  empty_dirs?: string[];
  placeholder_root?: string;
  written_by?: string;
}

/** A number as read_tree.py writes it: NaN and infinities as strings. */
export function encodeFloat(v: number): JsonFloat {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "-Infinity";
  return v;
}

/** The inverse of encodeFloat. */
export function decodeFloat(v: JsonFloat): number {
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  return v;
}

export function idKey(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

export function record(tags: { key: string; value: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of [...tags].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
    assert.ok(!(t.key in out), `duplicate key ${t.key}`);
    out[t.key] = t.value;
  }
  return out;
}

/**
 * A metric point as MLflow reports it. MLflow 3.17.2 reads the step of a 5-field line (a point
 * logged with a dataset) as 0 although it wrote the real step; mlt reads the written step (a
 * documented difference), so the comparison with MLflow's reading maps it the same way.
 */
export function point(m: Metric): PointJson {
  const step = m.datasetName ? 0 : m.step;
  const p: PointJson = { value: encodeFloat(m.value), timestamp: m.timestamp, step };
  if (m.datasetName !== undefined && m.datasetName !== null) p.dataset_name = m.datasetName;
  if (m.datasetDigest !== undefined && m.datasetDigest !== null) {
    p.dataset_digest = m.datasetDigest;
  }
  return p;
}

export function experimentJson(e: Experiment): ExperimentJson {
  return {
    experiment_id: e.experimentId,
    name: e.name,
    artifact_location: e.artifactLocation,
    lifecycle_stage: e.lifecycleStage,
    creation_time: e.creationTime ?? null,
    last_update_time: e.lastUpdateTime ?? null,
    tags: record(e.tags),
  };
}

export function datasetInputJson(d: DatasetInput): DatasetInputJson {
  return {
    tags: record(d.tags),
    dataset: {
      name: d.dataset.name,
      digest: d.dataset.digest,
      source_type: d.dataset.sourceType,
      source: d.dataset.source,
      schema: d.dataset.schema ?? null,
      profile: d.dataset.profile ?? null,
    },
  };
}

export async function allExperiments(
  store: TrackingStore,
  viewType: ViewType,
): Promise<Experiment[]> {
  const out: Experiment[] = [];
  let pageToken: string | undefined;
  do {
    const page = await store.searchExperiments({ viewType, maxResults: 1000, pageToken });
    out.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return out;
}

export async function allRuns(
  store: TrackingStore,
  ids: string[],
  viewType: ViewType,
): Promise<Run[]> {
  if (ids.length === 0) return [];
  const out: Run[] = [];
  let pageToken: string | undefined;
  do {
    const page = await store.searchRuns({
      experimentIds: ids,
      viewType,
      maxResults: 1000,
      pageToken,
    });
    out.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return out;
}

export async function history(store: TrackingStore, runId: string, key: string): Promise<Metric[]> {
  const out: Metric[] = [];
  let pageToken: string | undefined;
  do {
    const page = await store.getMetricHistory(runId, key, { pageToken });
    out.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return out;
}

/** One run through mlt's getRun and getMetricHistory, in read_tree.py's shape. */
export async function runJson(store: TrackingStore, runId: string): Promise<RunJson> {
  const run = await store.getRun(runId);
  const { info, data } = run;
  const metrics: Record<string, PointJson> = {};
  for (const m of [...data.metrics].sort((a, b) => (a.key < b.key ? -1 : 1))) {
    assert.ok(!(m.key in metrics), `run ${runId}: latest metric ${m.key} listed twice`);
    metrics[m.key] = point(m);
  }
  const metricHistory: Record<string, PointJson[]> = {};
  for (const key of Object.keys(metrics)) {
    metricHistory[key] = (await history(store, runId, key)).map(point);
  }
  return {
    run_id: info.runId,
    experiment_id: info.experimentId,
    run_name: info.runName ?? null,
    user_id: info.userId,
    status: info.status,
    start_time: info.startTime ?? null,
    end_time: info.endTime ?? null,
    artifact_uri: info.artifactUri,
    lifecycle_stage: info.lifecycleStage,
    params: record(data.params),
    tags: record(data.tags),
    metrics,
    metric_history: metricHistory,
    dataset_inputs: run.inputs.datasetInputs.map(datasetInputJson).sort((a, b) =>
      a.dataset.name < b.dataset.name
        ? -1
        : a.dataset.name > b.dataset.name
        ? 1
        : a.dataset.digest < b.dataset.digest
        ? -1
        : 1
    ),
  };
}

/** Everything mlt reads from a store, in the shape read_tree.py prints for MLflow. */
export async function readWithMlt(store: TrackingStore): Promise<TreeJson> {
  const experiments = (await allExperiments(store, "ALL")).sort((a, b) =>
    idKey(a.experimentId, b.experimentId)
  );
  const expIds = experiments.map((e) => e.experimentId);
  const runIds = (await allRuns(store, expIds, "ALL")).map((r) => r.info.runId).sort();
  const ids = async (v: ViewType) =>
    (await allExperiments(store, v)).map((e) => e.experimentId).sort(idKey);
  const runIdsOf = async (v: ViewType) =>
    (await allRuns(store, expIds, v)).map((r) => r.info.runId).sort();
  const runs: RunJson[] = [];
  for (const id of runIds) runs.push(await runJson(store, id));
  return {
    mlflow_version: "mlt",
    // getExperiment must agree with searchExperiments
    experiments: await Promise.all(
      experiments.map(async (e) => {
        const viaGet = experimentJson(await store.getExperiment(e.experimentId));
        assert.deepStrictEqual(experimentJson(e), viaGet, `experiment ${e.experimentId}`);
        const byName = await store.getExperimentByName(e.name);
        assert.equal(byName?.experimentId, e.experimentId, `getExperimentByName(${e.name})`);
        return viaGet;
      }),
    ),
    runs,
    search: {
      active_experiment_ids: await ids("ACTIVE_ONLY"),
      deleted_experiment_ids: await ids("DELETED_ONLY"),
      active_run_ids: await runIdsOf("ACTIVE_ONLY"),
      deleted_run_ids: await runIdsOf("DELETED_ONLY"),
    },
  };
}

/** Asserts that mlt's reading equals MLflow's, run by run, with readable failure messages. */
export function assertSameReading(actual: TreeJson, expected: TreeJson, what: string): void {
  assert.deepStrictEqual(
    actual.experiments.map((e) => e.experiment_id),
    expected.experiments.map((e) => e.experiment_id),
    `${what}: experiment ids`,
  );
  for (const [i, e] of expected.experiments.entries()) {
    assert.deepStrictEqual(actual.experiments[i], e, `${what}: experiment ${e.experiment_id}`);
  }
  assert.deepStrictEqual(
    actual.runs.map((r) => r.run_id),
    expected.runs.map((r) => r.run_id),
    `${what}: run ids`,
  );
  for (const [i, r] of expected.runs.entries()) {
    const a = actual.runs[i];
    const label = `${what}: run ${r.run_id} (${r.run_name})`;
    for (const key of Object.keys(r) as (keyof RunJson)[]) {
      assert.deepStrictEqual(a[key], r[key], `${label}: ${key}`);
    }
    assert.deepStrictEqual(a, r, label);
  }
  assert.deepStrictEqual(actual.search, expected.search, `${what}: search by view type`);
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

export async function copyTree(src: string, dst: string): Promise<void> {
  await Deno.mkdir(dst, { recursive: true });
  for await (const e of Deno.readDir(src)) {
    if (e.isDirectory) await copyTree(`${src}/${e.name}`, `${dst}/${e.name}`);
    else if (e.isFile) await Deno.copyFile(`${src}/${e.name}`, `${dst}/${e.name}`);
  }
}

/** Every file (sha-256 of its bytes) and directory under root, by relative path. */
export async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(dir: string, rel: string) {
    for await (const e of Deno.readDir(dir)) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) {
        out[r + "/"] = "dir";
        await walk(`${dir}/${e.name}`, r);
      } else {
        const bytes = await Deno.readFile(`${dir}/${e.name}`);
        const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
        out[r] = Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
      }
    }
  }
  await walk(root, "");
  return out;
}

export async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await Deno.readTextFile(path)) as T;
}

/** MLflow's reading of a tree (tests/compat/read_tree.py run with the venv python). */
export async function readWithMlflow(root: string): Promise<TreeJson> {
  return JSON.parse(await runPython([READ_TREE, root])) as TreeJson;
}

/** A fixture tree copied to a temp dir, with the empty directories git does not keep. */
export async function checkoutFixture(name: string): Promise<{ root: string; expected: TreeJson }> {
  const expected = await readJson<TreeJson>(`${FIXTURES}/${name}.expected.json`);
  const tmp = await Deno.makeTempDir({ prefix: "mlt-compat-" });
  const root = `${tmp}/${name}`;
  await copyTree(`${FIXTURES}/${name}`, root);
  for (const d of expected.empty_dirs ?? []) await Deno.mkdir(`${root}/${d}`, { recursive: true });
  return { root, expected };
}

export async function withStore<T>(root: string, fn: (s: TrackingStore) => Promise<T>): Promise<T> {
  const store = await openStore(root);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export function rmTemp(root: string): Promise<void> {
  return Deno.remove(root.replace(/\/[^/]+$/, ""), { recursive: true });
}
