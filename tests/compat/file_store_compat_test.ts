/**
 * File-store interop with the real Python MLflow client (see tests/fixtures/README.md).
 *
 * a. mlt reads trees written by MLflow 3.17.2 and 1.23.1 exactly as MLflow reads them, without
 *    touching a byte.
 * b. MLflow reads what mlt writes, and mlt writes the same bytes MLflow writes.
 * c. Round trip: MLflow logs into an mlt-created run, mlt reads it, and back.
 *
 * Needs the venv python (tests/compat/python.ts); a missing one fails the tests.
 */
import assert from "node:assert/strict";
import { openStore } from "../../src/store/open.ts";
import type { TrackingStore } from "../../src/store/store.ts";
import type {
  DatasetInput,
  Experiment,
  Metric,
  Run,
  RunStatus,
  ViewType,
} from "../../src/model.ts";
import { REPO_ROOT, runPython } from "./python.ts";

const FIXTURES = `${REPO_ROOT}/tests/fixtures`;
const READ_TREE = `${REPO_ROOT}/tests/compat/read_tree.py`;
const T0 = 1_700_000_000_000;

// ---------------------------------------------------------------------------------------------
// The JSON shape of read_tree.py and tests/fixtures/*.expected.json
// ---------------------------------------------------------------------------------------------

type JsonFloat = number | "NaN" | "Infinity" | "-Infinity";

interface PointJson {
  value: JsonFloat;
  timestamp: number;
  step: number;
  dataset_name?: string;
  dataset_digest?: string;
}

interface ExperimentJson {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time: number | null;
  last_update_time: number | null;
  tags: Record<string, string>;
}

interface DatasetInputJson {
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

interface RunJson {
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

interface SearchJson {
  active_experiment_ids: string[];
  deleted_experiment_ids: string[];
  active_run_ids: string[];
  deleted_run_ids: string[];
}

interface TreeJson {
  mlflow_version: string;
  experiments: ExperimentJson[];
  runs: RunJson[];
  search: SearchJson;
  empty_dirs?: string[];
  placeholder_root?: string;
  written_by?: string;
}

/** A number as read_tree.py writes it: NaN and infinities as strings. */
function encodeFloat(v: number): JsonFloat {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "-Infinity";
  return v;
}

/** The inverse of encodeFloat. */
function decodeFloat(v: JsonFloat): number {
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  return v;
}

function idKey(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

function record(tags: { key: string; value: string }[]): Record<string, string> {
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
function point(m: Metric): PointJson {
  const step = m.datasetName ? 0 : m.step;
  const p: PointJson = { value: encodeFloat(m.value), timestamp: m.timestamp, step };
  if (m.datasetName !== undefined && m.datasetName !== null) p.dataset_name = m.datasetName;
  if (m.datasetDigest !== undefined && m.datasetDigest !== null) {
    p.dataset_digest = m.datasetDigest;
  }
  return p;
}

function experimentJson(e: Experiment): ExperimentJson {
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

function datasetInputJson(d: DatasetInput): DatasetInputJson {
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

async function allExperiments(store: TrackingStore, viewType: ViewType): Promise<Experiment[]> {
  const out: Experiment[] = [];
  let pageToken: string | undefined;
  do {
    const page = await store.searchExperiments({ viewType, maxResults: 1000, pageToken });
    out.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return out;
}

async function allRuns(store: TrackingStore, ids: string[], viewType: ViewType): Promise<Run[]> {
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

async function history(store: TrackingStore, runId: string, key: string): Promise<Metric[]> {
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
async function runJson(store: TrackingStore, runId: string): Promise<RunJson> {
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
async function readWithMlt(store: TrackingStore): Promise<TreeJson> {
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
function assertSameReading(actual: TreeJson, expected: TreeJson, what: string): void {
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

async function copyTree(src: string, dst: string): Promise<void> {
  await Deno.mkdir(dst, { recursive: true });
  for await (const e of Deno.readDir(src)) {
    if (e.isDirectory) await copyTree(`${src}/${e.name}`, `${dst}/${e.name}`);
    else if (e.isFile) await Deno.copyFile(`${src}/${e.name}`, `${dst}/${e.name}`);
  }
}

/** Every file (sha-256 of its bytes) and directory under root, by relative path. */
async function snapshot(root: string): Promise<Record<string, string>> {
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

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await Deno.readTextFile(path)) as T;
}

/** MLflow's reading of a tree (tests/compat/read_tree.py run with the venv python). */
async function readWithMlflow(root: string): Promise<TreeJson> {
  return JSON.parse(await runPython([READ_TREE, root])) as TreeJson;
}

/** A fixture tree copied to a temp dir, with the empty directories git does not keep. */
async function checkoutFixture(name: string): Promise<{ root: string; expected: TreeJson }> {
  const expected = await readJson<TreeJson>(`${FIXTURES}/${name}.expected.json`);
  const tmp = await Deno.makeTempDir({ prefix: "mlt-compat-" });
  const root = `${tmp}/${name}`;
  await copyTree(`${FIXTURES}/${name}`, root);
  for (const d of expected.empty_dirs ?? []) await Deno.mkdir(`${root}/${d}`, { recursive: true });
  return { root, expected };
}

async function withStore<T>(root: string, fn: (s: TrackingStore) => Promise<T>): Promise<T> {
  const store = await openStore(root);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function rmTemp(root: string): Promise<void> {
  return Deno.remove(root.replace(/\/[^/]+$/, ""), { recursive: true });
}

// ---------------------------------------------------------------------------------------------
// a. mlt reads MLflow's trees
// ---------------------------------------------------------------------------------------------

for (const version of ["3.17.2", "1.23.1"]) {
  Deno.test(`mlt reads MLflow ${version}'s mlruns tree exactly`, async () => {
    const { root, expected } = await checkoutFixture(`mlruns-${version}`);
    try {
      assert.ok(expected.runs.length >= 3, "fixture has runs");
      const before = await snapshot(root);
      const actual = await withStore(root, readWithMlt);
      assertSameReading(actual, expected, `mlruns-${version}`);
      const after = await snapshot(root);
      assert.deepStrictEqual(after, before, "reading must not create, change or remove files");
    } finally {
      await rmTemp(root);
    }
  });
}

Deno.test("mlt reads the NaN, infinite, tiny and huge metric values of MLflow 3.17.2 as numbers", async () => {
  const { root, expected } = await checkoutFixture("mlruns-3.17.2");
  try {
    const run = expected.runs.find((r) => r.run_name === "finished-run");
    assert.ok(run, "fixture has finished-run");
    const want: Record<string, number> = {
      nan: NaN,
      pos_inf: Infinity,
      neg_inf: -Infinity,
      int: 10,
      tiny: 1e-300,
      denormal: 5e-324,
      huge: 1.7976931348623157e308,
      "1e16": 1e16,
      small: 1e-5,
      neg_zero: -0,
    };
    await withStore(root, async (store) => {
      const got = await store.getRun(run.run_id);
      for (const [key, value] of Object.entries(want)) {
        const m = got.data.metrics.find((x) => x.key === key);
        assert.ok(m, `metric ${key} present`);
        assert.ok(Object.is(m.value, value), `metric ${key}: ${m.value} !== ${value}`);
        assert.ok(Object.is(decodeFloat(run.metrics[key].value), value), `fixture ${key}`);
      }
      const mixed = await history(store, run.run_id, "mixed");
      assert.deepStrictEqual(mixed.map((m) => encodeFloat(m.value)), [
        1,
        "NaN",
        "Infinity",
        "-Infinity",
        2,
      ]);
    });
  } finally {
    await rmTemp(root);
  }
});

Deno.test("mlt reads the real step of a metric MLflow 3.17.2 logged with a dataset", async () => {
  const { root, expected } = await checkoutFixture("mlruns-3.17.2");
  try {
    const run = expected.runs.find((r) => "eval/accuracy" in r.metrics);
    assert.ok(run, "fixture has a metric logged with a dataset");
    await withStore(root, async (store) => {
      const [p] = await history(store, run.run_id, "eval/accuracy");
      assert.deepStrictEqual(
        [p.step, p.datasetName, p.datasetDigest],
        [3, "iris-eval", "abc123"],
        "MLflow reads step 0 here; mlt keeps the step that was written",
      );
    });
  } finally {
    await rmTemp(root);
  }
});

Deno.test("the committed fixtures hold no absolute path of the machine that wrote them", async () => {
  for (const name of ["mlruns-3.17.2", "mlruns-1.23.1"]) {
    const snap = await snapshot(`${FIXTURES}/${name}`);
    for (const rel of Object.keys(snap).filter((p) => p.endsWith("meta.yaml"))) {
      const text = await Deno.readTextFile(`${FIXTURES}/${name}/${rel}`);
      for (const m of text.matchAll(/file:\/\/(\/[^\s'"]*)/g)) {
        assert.ok(m[1].startsWith(`/fixture/${name}/`), `${name}/${rel}: ${m[0]}`);
      }
      assert.ok(!text.includes("/tmp/"), `${name}/${rel} mentions /tmp/`);
    }
    const json = await Deno.readTextFile(`${FIXTURES}/${name}.expected.json`);
    assert.ok(
      json.includes(`file:///fixture/${name}/`),
      `${name}.expected.json uses the placeholder`,
    );
    for (const bad of ["/tmp/", REPO_ROOT, "file:///home/", "file:///root/"]) {
      assert.ok(!json.includes(bad), `${name}.expected.json mentions ${bad}`);
    }
  }
});

Deno.test("MLflow 3.17.2 reads the committed fixtures as their .expected.json records", async () => {
  // Guards the fixtures themselves: the placeholder paths and recreated empty dirs keep them
  // readable by MLflow, with the same result as when they were written.
  for (const name of ["mlruns-3.17.2", "mlruns-1.23.1"]) {
    const { root, expected } = await checkoutFixture(name);
    try {
      const got = await readWithMlflow(root);
      assert.equal(got.mlflow_version, "3.17.2", "the venv has mlflow 3.17.2");
      assertSameReading(got, expected, `MLflow reading ${name}`);
    } finally {
      await rmTemp(root);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// b. MLflow reads what mlt writes
// ---------------------------------------------------------------------------------------------

/** Metric values with the text Python's `str(float)` gives them in a metric file. */
const VALUES: [key: string, value: number, python: string][] = [
  ["nan", NaN, "nan"],
  ["pos_inf", Infinity, "inf"],
  ["neg_inf", -Infinity, "-inf"],
  ["int", 10, "10.0"],
  ["tenth", 0.1, "0.1"],
  ["small", 1e-5, "1e-05"],
  ["e_minus_4", 0.0001, "0.0001"],
  ["e15", 1e15, "1000000000000000.0"],
  ["e16", 1e16, "1e+16"],
  ["e22", 1e22, "1e+22"],
  ["big_int", 123456789, "123456789.0"],
  ["neg_small", -2.5e-7, "-2.5e-07"],
  ["pi", Math.PI, "3.141592653589793"],
  ["huge", 1.7976931348623157e308, "1.7976931348623157e+308"],
  ["denormal", 5e-324, "5e-324"],
  ["neg_zero", -0, "-0.0"],
];

const PARAMS: [string, string][] = [
  ["lr", "0.01"],
  ["empty", ""],
  ["unicode", "日本語 ✓ 🚀"],
  ["multi line", "a\nb\n"],
  ["nested/param", "deep"],
  ["long", "y".repeat(4000)],
];

const TAGS: [string, string][] = [
  ["a/b/c", "nested tag"],
  ["empty", ""],
  ["unicode", "ταγ"],
  ["mlflow.note.content", "# note\ntext"],
];

const DATASET: DatasetInput = {
  tags: [{ key: "mlflow.data.context", value: "training" }, { key: "split", value: "train" }],
  dataset: {
    name: "iris",
    digest: "0123abcd",
    sourceType: "http",
    source: '{"url": "https://example.com/iris.csv"}',
    schema: '{"mlflow_colspec": [{"type": "double", "name": "x", "required": true}]}',
    profile: '{"num_rows": 3, "num_elements": 3}',
  },
};

interface Written {
  expA: string;
  expDeleted: string;
  runs: Record<string, string>; // run name -> id
}

/** The scenario of test b, through mlt's TrackingStore. */
async function writeWithMlt(store: TrackingStore): Promise<Written> {
  const expA = await store.createExperiment("mlt-experiment", undefined, [
    { key: "team", value: "mlt" },
    { key: "nested/exp/tag", value: "yes" },
  ]);
  const expDeleted = await store.createExperiment("mlt-doomed");
  const runs: Record<string, string> = {};
  const create = async (name: string, experimentId: string | undefined, start: number) => {
    const run = await store.createRun({ experimentId, runName: name, startTime: start });
    runs[name] = run.info.runId;
    return run.info.runId;
  };
  const main = await create("main", expA, T0);
  for (const [key, value] of PARAMS) await store.logParam(main, { key, value });
  for (const [key, value] of TAGS) await store.setTag(main, { key, value });
  for (const [i, [key, value]] of VALUES.entries()) {
    await store.logMetric(main, { key, value, timestamp: T0 + 100 + i, step: 0 });
  }
  for (let step = 0; step < 5; step++) {
    await store.logMetric(main, {
      key: "loss/train",
      value: 1 / (step + 1),
      timestamp: T0 + 1000 + step,
      step,
    });
  }
  await store.logBatch(main, {
    params: [{ key: "batch_param", value: "b" }],
    metrics: [
      { key: "batch_metric", value: 1.5, timestamp: T0 + 2000, step: 3 },
      { key: "batch_metric", value: 0.5, timestamp: T0 + 2001, step: 1 },
    ],
    tags: [{ key: "batch.tag", value: "t" }],
  });
  await store.logInputs(main, [DATASET]);
  await store.updateRun({ runId: main, status: "FINISHED", endTime: T0 + 9000 });

  const statuses: [string, RunStatus | "deleted"][] = [
    ["failed", "FAILED"],
    ["killed", "KILLED"],
    ["scheduled", "SCHEDULED"],
    ["running", "RUNNING"],
    ["deleted", "deleted"],
  ];
  for (const [i, [name, status]] of statuses.entries()) {
    const id = await create(name, expA, T0 + 10 * (i + 1));
    await store.logMetric(id, { key: "m", value: i, timestamp: T0 + 3000 + i, step: i });
    if (status === "deleted") await store.deleteRun(id);
    else if (status === "SCHEDULED") await store.updateRun({ runId: id, status });
    else if (status !== "RUNNING") {
      await store.updateRun({ runId: id, status, endTime: T0 + 5000 + i });
    }
  }
  const child = await create("child", expA, T0 + 100);
  await store.setTag(child, { key: "mlflow.parentRunId", value: main });
  await create("in-default", undefined, T0 + 200);
  await store.setExperimentTag("0", { key: "default-tag", value: "on 0" });
  const doomedRun = await create("doomed-run", expDeleted, T0 + 300);
  await store.logParam(doomedRun, { key: "p", value: "v" });
  await store.deleteExperiment(expDeleted);
  return { expA, expDeleted, runs };
}

Deno.test("MLflow 3.17.2 reads the mlruns tree mlt writes", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "mlt-compat-" });
  const root = `${tmp}/mlruns`;
  try {
    const w = await withStore(root, writeWithMlt);
    const got = await readWithMlflow(root);
    const exp = (id: string) => got.experiments.find((e) => e.experiment_id === id);
    const run = (name: string) => got.runs.find((r) => r.run_id === w.runs[name])!;

    // experiments
    assert.deepStrictEqual(
      got.experiments.map((e) => e.experiment_id).sort(idKey),
      [
        "0",
        w.expA,
        w.expDeleted,
      ].sort(idKey),
    );
    assert.equal(exp("0")?.name, "Default");
    assert.deepStrictEqual(exp("0")?.tags, { "default-tag": "on 0" });
    assert.equal(exp(w.expA)?.name, "mlt-experiment");
    assert.deepStrictEqual(exp(w.expA)?.tags, { "nested/exp/tag": "yes", team: "mlt" });
    assert.equal(exp(w.expA)?.lifecycle_stage, "active");
    assert.equal(exp(w.expA)?.artifact_location, `file://${root}/${w.expA}`);
    assert.equal(exp(w.expDeleted)?.lifecycle_stage, "deleted");
    assert.deepStrictEqual(got.search.deleted_experiment_ids, [w.expDeleted]);

    // runs and statuses
    assert.equal(got.runs.length, Object.keys(w.runs).length, "MLflow sees every run");
    const status = Object.fromEntries(got.runs.map((r) => [r.run_name, r.status]));
    assert.deepStrictEqual(status, {
      main: "FINISHED",
      failed: "FAILED",
      killed: "KILLED",
      scheduled: "SCHEDULED",
      running: "RUNNING",
      deleted: "RUNNING",
      child: "RUNNING",
      "in-default": "RUNNING",
      "doomed-run": "RUNNING",
    });
    assert.deepStrictEqual(
      got.search.deleted_run_ids,
      [w.runs["deleted"], w.runs["doomed-run"]].sort(),
    );
    assert.equal(run("in-default").experiment_id, "0");
    assert.equal(run("doomed-run").lifecycle_stage, "deleted");
    assert.equal(run("child").tags["mlflow.parentRunId"], w.runs["main"]);
    assert.equal(run("main").start_time, T0);
    assert.equal(run("main").end_time, T0 + 9000);
    assert.equal(run("failed").end_time, T0 + 5000);
    assert.equal(
      run("main").artifact_uri,
      `file://${root}/${w.expA}/${w.runs["main"]}/artifacts`,
    );

    // params, tags
    const main = run("main");
    assert.deepStrictEqual(
      main.params,
      Object.fromEntries([...PARAMS, ["batch_param", "b"]].sort(([a], [b]) => (a < b ? -1 : 1))),
    );
    for (const [key, value] of [...TAGS, ["batch.tag", "t"]]) {
      assert.equal(main.tags[key], value, `tag ${key}`);
    }
    assert.equal(main.tags["mlflow.runName"], "main");
    assert.equal(run("doomed-run").params["p"], "v");

    // metrics: latest values and histories
    for (const [i, [key, value]] of VALUES.entries()) {
      assert.deepStrictEqual(main.metrics[key], {
        value: encodeFloat(value),
        timestamp: T0 + 100 + i,
        step: 0,
      }, `metric ${key}`);
    }
    assert.deepStrictEqual(
      main.metric_history["loss/train"].map((p) => [p.value, p.step]),
      [[1, 0], [0.5, 1], [1 / 3, 2], [0.25, 3], [0.2, 4]],
    );
    assert.deepStrictEqual(main.metrics["batch_metric"], {
      value: 1.5,
      timestamp: T0 + 2000,
      step: 3,
    }, "latest = highest step, not last written");
    assert.equal(main.metric_history["batch_metric"].length, 2);

    // dataset input
    assert.deepStrictEqual(main.dataset_inputs, [datasetInputJson(DATASET)]);

    // and mlt's own reading of its tree equals MLflow's, field by field
    const mine = await withStore(root, readWithMlt);
    assertSameReading(mine, got, "mlt vs MLflow on an mlt-written tree");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

/** The same logging done by MLflow in its own tree (experiment 0), for byte comparison. */
const PY_LOG_SAME = `
import json, os, sys
from mlflow import MlflowClient
from mlflow.entities import Dataset, DatasetInput, InputTag
spec = json.load(sys.stdin)
c = MlflowClient("file://" + spec["root"])
run = c.create_run("0", start_time=spec["start_time"], run_name=spec["run_name"]).info.run_id
for k, v in spec["params"]:
    c.log_param(run, k, v)
for k, v in spec["tags"]:
    c.set_tag(run, k, v)
for k, v, ts, step in spec["metrics"]:
    c.log_metric(run, k, float(v), timestamp=ts, step=step)
d = spec["dataset"]
c.log_inputs(run, [DatasetInput(
    Dataset(d["name"], d["digest"], d["source_type"], d["source"], d["schema"], d["profile"]),
    [InputTag(k, v) for k, v in spec["input_tags"]])])
c.set_terminated(run, "FINISHED", end_time=spec["end_time"])
info = c.get_run(run).info
print(json.dumps({"run_id": run, "user_id": info.user_id}))
`;

Deno.test("mlt writes run files byte-identical to MLflow 3.17.2's FileStore", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "mlt-compat-" });
  const pyRoot = `${tmp}/py/mlruns`;
  const mltRoot = `${tmp}/mlt/mlruns`;
  try {
    // values go to Python as their Python text (JSON would turn -0 into 0)
    const metrics: [string, number, string, number, number][] = VALUES.map((
      [key, value, text],
      i,
    ) => [key, value, text, T0 + i, i % 3]);
    metrics.push(["loss/train", 0.5, "0.5", T0 + 50, 7], ["loss/train", 0.25, "0.25", T0 + 51, 8]);
    const spec = {
      root: pyRoot,
      run_name: "same-run",
      start_time: T0,
      end_time: T0 + 999,
      params: PARAMS,
      tags: TAGS,
      metrics: metrics.map(([key, , text, ts, step]) => [key, text, ts, step]),
      dataset: datasetInputJson(DATASET).dataset,
      input_tags: DATASET.tags.map((t) => [t.key, t.value]),
    };
    const py = JSON.parse(await runPython(["-c", PY_LOG_SAME], JSON.stringify(spec))) as {
      run_id: string;
      user_id: string;
    };
    const mltRun = await withStore(mltRoot, async (store) => {
      const run = await store.createRun({
        experimentId: "0",
        runName: "same-run",
        startTime: T0,
        userId: py.user_id,
      });
      const id = run.info.runId;
      for (const [key, value] of PARAMS) await store.logParam(id, { key, value });
      for (const [key, value] of TAGS) await store.setTag(id, { key, value });
      for (const [key, value, , timestamp, step] of metrics) {
        await store.logMetric(id, { key, value, timestamp, step });
      }
      await store.logInputs(id, [DATASET]);
      await store.updateRun({ runId: id, status: "FINISHED", endTime: T0 + 999 });
      return id;
    });

    const pyRun = `${pyRoot}/0/${py.run_id}`;
    const mltRunDir = `${mltRoot}/0/${mltRun}`;
    const pySnap = await snapshot(pyRun);
    const mltSnap = await snapshot(mltRunDir);
    // metric, param and tag files: same names, same bytes
    const dataFiles = (s: Record<string, string>) =>
      Object.fromEntries(
        Object.entries(s).filter(([p]) => /^(metrics|params|tags)\//.test(p)),
      );
    const dec = new TextDecoder();
    for (const rel of Object.keys(dataFiles(pySnap))) {
      if (rel.endsWith("/")) continue;
      const want = dec.decode(await Deno.readFile(`${pyRun}/${rel}`));
      let have: string | undefined;
      try {
        have = dec.decode(await Deno.readFile(`${mltRunDir}/${rel}`));
      } catch {
        have = undefined;
      }
      assert.equal(have, want, `${rel}: mlt's bytes differ from MLflow's`);
    }
    assert.deepStrictEqual(
      Object.keys(dataFiles(mltSnap)).sort(),
      Object.keys(dataFiles(pySnap)).sort(),
      "same metric/param/tag files",
    );
    // every directory MLflow creates in a run (3.17 finds a run only if metrics/, params/ and
    // artifacts/ exist)
    const topDirs = (s: Record<string, string>) =>
      Object.keys(s).filter((p) => /^[^/]+\/$/.test(p)).sort();
    assert.deepStrictEqual(topDirs(mltSnap), topDirs(pySnap), "sub-directories of the run dir");

    // run meta.yaml: identical once ids and roots are neutralised
    const neutral = (text: string, root: string, runId: string) =>
      text.replaceAll(`file://${root}`, "ROOT").replaceAll(runId, "RUN_ID");
    assert.equal(
      neutral(await Deno.readTextFile(`${mltRunDir}/meta.yaml`), mltRoot, mltRun),
      neutral(await Deno.readTextFile(`${pyRun}/meta.yaml`), pyRoot, py.run_id),
      "run meta.yaml",
    );

    // dataset record (same name+digest => same directory name) and input edge
    const datasetsOf = async (root: string) => Object.keys(await snapshot(`${root}/0/datasets`));
    const pyDatasets = await datasetsOf(pyRoot);
    assert.deepStrictEqual(await datasetsOf(mltRoot), pyDatasets, "datasets/ entries");
    for (const rel of pyDatasets.filter((p) => !p.endsWith("/"))) {
      assert.equal(
        await Deno.readTextFile(`${mltRoot}/0/datasets/${rel}`),
        await Deno.readTextFile(`${pyRoot}/0/datasets/${rel}`),
        `datasets/${rel}`,
      );
    }
    const inputMeta = async (runDir: string) => {
      const files = Object.keys(await snapshot(`${runDir}/inputs`)).filter((p) =>
        p.endsWith("/meta.yaml")
      );
      assert.equal(files.length, 1, `one input in ${runDir}`);
      return await Deno.readTextFile(`${runDir}/inputs/${files[0]}`);
    };
    // Quirk C6: MLflow writes the dataset id as destination_id; mlt may write the run id
    // instead (nothing reads the field). Everything else must be the same bytes.
    const mltInput = await inputMeta(mltRunDir);
    const pyInput = await inputMeta(pyRun);
    const sourceId = /^source_id: (.*)$/m.exec(pyInput)?.[1];
    const destId = /^destination_id: (.*)$/m.exec(mltInput)?.[1];
    assert.ok(sourceId && destId, "input meta has source_id and destination_id");
    assert.ok(
      destId === sourceId || destId === mltRun,
      `destination_id ${destId} is neither the dataset id nor the run id`,
    );
    const noDest = (t: string) => t.replace(/^destination_id: .*$/m, "destination_id: X");
    assert.equal(noDest(mltInput), noDest(pyInput), "inputs/<id>/meta.yaml");
    // the input's directory name is md5(dataset_id + run_id), so it differs; its count does not
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------------
// c. Round trip
// ---------------------------------------------------------------------------------------------

const PY_LOG_INTO = `
import json, sys
from mlflow import MlflowClient
from mlflow.entities import Dataset, DatasetInput, InputTag
spec = json.load(sys.stdin)
c = MlflowClient("file://" + spec["root"])
run = spec["run_id"]
T0 = spec["t0"]
c.log_param(run, "from_python", "ja ✓")
c.log_metric(run, "loss", float("nan"), timestamp=T0 + 10, step=1)
c.log_metric(run, "loss", 0.25, timestamp=T0 + 20, step=2)
c.log_metric(run, "acc", 0.5, timestamp=T0 + 30, step=2, dataset_name="val", dataset_digest="f00d")
c.set_tag(run, "x/y", "z")
c.log_inputs(run, [DatasetInput(Dataset("val", "f00d", "local", '{"uri": "/data/val"}'),
                                [InputTag("mlflow.data.context", "eval")])])
c.set_terminated(run, "FAILED", end_time=T0 + 999)
child = c.create_run(spec["experiment_id"], start_time=T0 + 5, run_name="py-child",
                     tags={"mlflow.parentRunId": run}).info.run_id
c.log_metric(child, "loss", 1.0, timestamp=T0 + 40, step=0)
print(json.dumps({"child": child}))
`;

Deno.test("MLflow 3.17.2 logs into an mlt-created run and mlt reads it back", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "mlt-compat-" });
  const root = `${tmp}/mlruns`;
  try {
    const { expId, runId } = await withStore(root, async (store) => {
      const expId = await store.createExperiment("roundtrip", undefined, [
        { key: "k", value: "v" },
      ]);
      const run = await store.createRun({ experimentId: expId, runName: "rt", startTime: T0 });
      await store.logParam(run.info.runId, { key: "from_mlt", value: "1" });
      await store.logMetric(run.info.runId, { key: "loss", value: 2, timestamp: T0, step: 0 });
      return { expId, runId: run.info.runId };
    });

    const spec = { root, run_id: runId, experiment_id: expId, t0: T0 };
    const { child } = JSON.parse(
      await runPython(["-c", PY_LOG_INTO], JSON.stringify(spec)),
    ) as { child: string };

    await withStore(root, async (store) => {
      const run = await store.getRun(runId);
      assert.equal(run.info.status, "FAILED");
      assert.equal(run.info.endTime, T0 + 999);
      assert.equal(run.info.runName, "rt");
      assert.equal(run.info.lifecycleStage, "active");
      assert.deepStrictEqual(record(run.data.params), { from_mlt: "1", from_python: "ja ✓" });
      assert.equal(record(run.data.tags)["x/y"], "z");
      const loss = run.data.metrics.find((m) => m.key === "loss");
      assert.deepStrictEqual(loss && point(loss), { value: 0.25, timestamp: T0 + 20, step: 2 });
      const hist = await history(store, runId, "loss");
      assert.deepStrictEqual(hist.map(point), [
        { value: 2, timestamp: T0, step: 0 },
        { value: "NaN", timestamp: T0 + 10, step: 1 },
        { value: 0.25, timestamp: T0 + 20, step: 2 },
      ]);
      const acc = await history(store, runId, "acc");
      assert.equal(acc.length, 1);
      assert.equal(acc[0].value, 0.5);
      assert.equal(acc[0].datasetName, "val");
      assert.equal(acc[0].datasetDigest, "f00d");
      assert.deepStrictEqual(run.inputs.datasetInputs.map(datasetInputJson), [{
        tags: { "mlflow.data.context": "eval" },
        dataset: {
          name: "val",
          digest: "f00d",
          source_type: "local",
          source: '{"uri": "/data/val"}',
          schema: null,
          profile: null,
        },
      }]);
      const runs = await allRuns(store, [expId], "ACTIVE_ONLY");
      assert.deepStrictEqual(runs.map((r) => r.info.runId).sort(), [runId, child].sort());
      const c = await store.getRun(child);
      assert.equal(c.info.runName, "py-child");
      assert.equal(record(c.data.tags)["mlflow.parentRunId"], runId);

      // and back: mlt appends, MLflow reads the whole history
      await store.logMetric(runId, { key: "loss", value: Infinity, timestamp: T0 + 50, step: 3 });
    });

    const got = await readWithMlflow(root);
    const r = got.runs.find((x) => x.run_id === runId);
    assert.ok(r);
    assert.deepStrictEqual(r.metric_history["loss"].map((p) => p.value), [
      2,
      "NaN",
      0.25,
      "Infinity",
    ]);
    assert.deepStrictEqual(r.metrics["loss"], {
      value: "Infinity",
      timestamp: T0 + 50,
      step: 3,
    });
    assert.equal(r.status, "FAILED");
    // full agreement between both readers on the mixed tree
    assertSameReading(await withStore(root, readWithMlt), got, "round-trip tree");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
