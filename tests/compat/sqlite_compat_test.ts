/**
 * SQLite interop with the real Python MLflow (the venv's mlflow==3.17.2, see python.ts):
 *
 * a. the schema mlt creates is, statement for statement, the one MLflow creates today and the one
 *    recorded in tests/fixtures/mlflow-3.17.2-schema.sql;
 * b. MLflow opens an mlt-written database and reads what mlt reads (experiments, runs, params,
 *    tags, latest metrics and full histories, datasets, deleted state), then logs into it and mlt
 *    reads that back;
 * c. mlt reads the MLflow-written fixture tests/fixtures/mlflow-3.17.2.db exactly as MLflow does,
 *    and the logged models of tests/fixtures/mlflow-3.17.2-models.db.
 *
 * One documented difference: MLflow stores ±Infinity as ±1.7976931348623157e308 and returns that
 * number; mlt returns ±Infinity. Comparisons map mlt's infinities to MLflow's number.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { SqliteStore } from "../../src/store/sqlite/sqlite_store.ts";
import { MLFLOW_DDL } from "../../src/store/sqlite/schema.ts";
import { allPages, type TrackingStore } from "../../src/store/store.ts";
import type { Experiment, Run, ViewType } from "../../src/model.ts";
import { withTempDir } from "../helpers/temp.ts";
import { REPO_ROOT, runPython } from "./python.ts";
import { datasetInputJson, experimentJson, idKey as byId, record as dict } from "./file_tree.ts";
import { assertSameModels, linksOf, type ModelTreeJson, readModelsWithMlt } from "./model_tree.ts";

const FIXTURES = `${REPO_ROOT}/tests/fixtures`;
const READ_TREE = `${REPO_ROOT}/tests/compat/read_tree.py`;
const MAX = 1.7976931348623157e308;

type Json = Record<string, unknown>;

function float(v: number): number | string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return MAX; // MLflow's SQL store returns its stored stand-in
  if (v === -Infinity) return -MAX;
  return v;
}

async function all<T>(
  fetch: (token?: string) => Promise<{ items: T[]; nextPageToken?: string }>,
): Promise<T[]> {
  return (await allPages(fetch)).items;
}

/** What mlt reads from a store, in the JSON shape of tests/compat/read_tree.py. */
async function mltTree(s: TrackingStore): Promise<Json> {
  const exps = async (viewType: ViewType) =>
    (await all<Experiment>((pageToken) => s.searchExperiments({ viewType, pageToken })))
      .sort((a, b) => byId(a.experimentId, b.experimentId));
  const experiments = await exps("ALL");
  const ids = experiments.map((e) => e.experimentId);
  const runs = async (viewType: ViewType) =>
    ids.length === 0
      ? []
      : await all<Run>((pageToken) => s.searchRuns({ experimentIds: ids, viewType, pageToken }));
  const runJson = async (r: Run) => {
    const history: Record<string, unknown[]> = {};
    for (const m of [...r.data.metrics].sort((a, b) => (a.key < b.key ? -1 : 1))) {
      history[m.key] = (await s.getMetricHistory(r.info.runId, m.key)).items.map((p) => ({
        value: float(p.value),
        timestamp: p.timestamp,
        step: p.step,
      }));
    }
    const metrics = Object.fromEntries(
      [...r.data.metrics].sort((a, b) => (a.key < b.key ? -1 : 1)).map((m) => [m.key, {
        value: float(m.value),
        timestamp: m.timestamp,
        step: m.step,
      }]),
    );
    return {
      run_id: r.info.runId,
      experiment_id: r.info.experimentId,
      run_name: r.info.runName ?? null,
      user_id: r.info.userId,
      status: r.info.status,
      start_time: r.info.startTime ?? null,
      end_time: r.info.endTime ?? null,
      artifact_uri: r.info.artifactUri,
      lifecycle_stage: r.info.lifecycleStage,
      params: dict(r.data.params),
      tags: dict(r.data.tags),
      metrics,
      metric_history: history,
      dataset_inputs: r.inputs.datasetInputs.map(datasetInputJson).sort((a, b) =>
        a.dataset.name + "\0" + a.dataset.digest < b.dataset.name + "\0" + b.dataset.digest ? -1 : 1
      ),
    };
  };
  const allRuns = (await runs("ALL")).sort((a, b) => (a.info.runId < b.info.runId ? -1 : 1));
  const runIds = async (v: ViewType) => (await runs(v)).map((r) => r.info.runId).sort();
  return {
    experiments: experiments.map(experimentJson),
    runs: await Promise.all(allRuns.map(runJson)),
    search: {
      active_experiment_ids: (await exps("ACTIVE_ONLY")).map((e) => e.experimentId),
      deleted_experiment_ids: (await exps("DELETED_ONLY")).map((e) => e.experimentId),
      active_run_ids: await runIds("ACTIVE_ONLY"),
      deleted_run_ids: await runIds("DELETED_ONLY"),
    },
  };
}

/** What MLflow's MlflowClient reads from the database file. */
async function mlflowTree(path: string): Promise<Json> {
  const tree = JSON.parse(await runPython([READ_TREE, `sqlite:///${path}`])) as Json;
  delete tree.mlflow_version;
  return tree;
}

const withDir = (fn: (dir: string) => Promise<void>) => withTempDir("mlt sqlite compat ", fn);

// By name: MLflow's migrations create some indexes in a different order from one run to the next.
const MASTER = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name";

// Splits a CREATE TABLE body at its top-level commas (outside parentheses and quotes).
function items(body: string): string[] {
  const out: string[] = [];
  let depth = 0, quote = "", start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (quote) {
      if (c === quote) quote = "";
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      out.push(body.slice(start, i).trim());
      start = i + 1;
    }
  }
  return [...out, body.slice(start).trim()];
}

/**
 * A table's SQL with its table constraints sorted: MLflow's batch migrations rebuild tables with
 * constraints in a varying order (a Python set), so two MLflow-made databases differ there only.
 * Columns keep their order, which matters.
 */
function canonical(sql: unknown): unknown {
  if (typeof sql !== "string" || !sql.startsWith("CREATE TABLE")) return sql;
  const open = sql.indexOf("("), close = sql.lastIndexOf(")");
  const parts = items(sql.slice(open + 1, close));
  const isConstraint = (p: string) =>
    /^(CONSTRAINT|PRIMARY KEY|FOREIGN KEY|CHECK|UNIQUE)\b/.test(p);
  const cols = parts.filter((p) => !isConstraint(p));
  const cons = parts.filter(isConstraint).sort();
  return `${sql.slice(0, open + 1)}${[...cols, ...cons].join(", ")}${sql.slice(close)}`;
}

function master(path: string): Json[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db.prepare(MASTER).all().map((r) => ({ ...r, sql: canonical(r.sql) }));
  } finally {
    db.close();
  }
}

Deno.test("compat: mlt creates exactly the schema MLflow 3.17.2 creates (and the fixture records)", async () => {
  await withDir(async (dir) => {
    const theirs = join(dir, "mlflow.db");
    await runPython([
      "-c",
      "import sys; from mlflow.tracking import MlflowClient; " +
      "MlflowClient('sqlite:///' + sys.argv[1]).search_experiments()",
      theirs,
    ]);
    const ours = join(dir, "mlt.db");
    await new SqliteStore(`sqlite:///${ours}`, { warn: () => {} }).close();
    assert.deepEqual(master(ours), master(theirs));
    const version = (p: string) => {
      const db = new DatabaseSync(p, { readOnly: true });
      try {
        return { ...db.prepare("SELECT version_num FROM alembic_version").get() };
      } finally {
        db.close();
      }
    };
    assert.deepEqual(version(ours), version(theirs));
    const fixture = Deno.readTextFileSync(`${FIXTURES}/mlflow-3.17.2-schema.sql`)
      .split("\n").filter((l) => !l.startsWith("-- ")).join("\n");
    assert.equal(fixture, MLFLOW_DDL);
  });
});

Deno.test("compat: MLflow reads an mlt-written database as mlt does, and logs into it", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "mlt.db");
    const s = new SqliteStore(`sqlite:///${path}`, { warn: () => {}, artifactRoot: "/art" });
    try {
      await s.setExperimentTag("0", { key: "purpose", value: "default" });
      const e = await s.createExperiment("compat ✓", undefined, [{ key: "team", value: "mlt" }]);
      const gone = await s.createExperiment("gone");
      const run = await s.createRun({
        experimentId: e,
        runName: "main",
        userId: "alice",
        startTime: 5,
      });
      const id = run.info.runId;
      await s.logBatch(id, {
        params: [{ key: "lr", value: "0.1" }, { key: "empty", value: "" }, {
          key: "u",
          value: "日本",
        }],
        tags: [{ key: "a/b", value: "nested" }, { key: "multi", value: "1\n2" }],
        metrics: [NaN, Infinity, -Infinity, 1e-300, 0.5, 3].map((value, step) => ({
          key: "m",
          value,
          step,
          timestamp: 1000 + step,
        })),
      });
      await s.logMetric(id, { key: "big_step", value: 1.5, step: 2 ** 40, timestamp: 7 });
      await s.logInputs(id, [{
        tags: [{ key: "mlflow.data.context", value: "training" }],
        dataset: { name: "iris", digest: "abc", sourceType: "local", source: '{"uri": "/x"}' },
      }]);
      await s.updateRun({ runId: id, status: "FINISHED", endTime: 99 });
      const del = (await s.createRun({ experimentId: e, runName: "deleted" })).info.runId;
      await s.deleteRun(del);
      await s.createRun({ experimentId: gone, runName: "in deleted experiment" });
      await s.deleteExperiment(gone);
      assert.deepEqual(await mlflowTree(path), await mltTree(s));

      // MLflow writes into the same database while mlt has it open; mlt sees its rows.
      await runPython([
        "-c",
        "import sys; from mlflow.tracking import MlflowClient; " +
        "c = MlflowClient('sqlite:///' + sys.argv[1]); " +
        "c.log_metric(sys.argv[2], 'from_python', 2.5, timestamp=5, step=1); " +
        "c.log_param(sys.argv[2], 'py', 'yes'); c.set_tag(sys.argv[2], 'py.tag', 'v')",
        path,
        id,
      ]);
      const back = await s.getRun(id);
      assert.equal(back.data.metrics.find((m) => m.key === "from_python")?.value, 2.5);
      assert.equal(back.data.params.find((p) => p.key === "py")?.value, "yes");
      assert.equal(back.data.tags.find((t) => t.key === "py.tag")?.value, "v");
    } finally {
      await s.close();
    }
  });
});

Deno.test("compat: mlt reads the MLflow-written fixture database exactly as MLflow does", async () => {
  await withDir(async (dir) => {
    const theirs = join(dir, "theirs.db");
    const ours = join(dir, "ours.db");
    Deno.copyFileSync(`${FIXTURES}/mlflow-3.17.2.db`, theirs);
    Deno.copyFileSync(`${FIXTURES}/mlflow-3.17.2.db`, ours);
    const expected = await mlflowTree(theirs);
    const s = new SqliteStore(`sqlite:///${ours}`, { warn: () => {} });
    try {
      const got = await mltTree(s);
      assert.ok((expected.runs as unknown[]).length >= 10);
      assert.deepEqual(got, expected);
    } finally {
      await s.close();
    }
  });
});

Deno.test("compat: mlt reads the logged models of the MLflow-written database as MLflow does", async () => {
  await withDir(async (dir) => {
    const theirs = join(dir, "theirs.db");
    const ours = join(dir, "ours.db");
    Deno.copyFileSync(`${FIXTURES}/mlflow-3.17.2-models.db`, theirs);
    Deno.copyFileSync(`${FIXTURES}/mlflow-3.17.2-models.db`, ours);
    const expected = JSON.parse(
      await runPython([READ_TREE, "--models", `sqlite:///${theirs}`]),
    ) as ModelTreeJson;
    const s = new SqliteStore(`sqlite:///${ours}`, { warn: () => {} });
    try {
      const got = await readModelsWithMlt(
        s,
        expected.experiments.map((e) => e.experiment_id),
        expected.runs.map((r) => r.run_id),
      );
      assertSameModels({ ...expected, ...got }, expected, "mlflow-3.17.2-models.db");
      assert.deepEqual(got.links, linksOf(expected));
      assert.ok(Object.values(got.links).some((l) => l.model_inputs.length > 0));
      const { runs: _, ...rest } = await mltTree(s);
      const { runs: __, logged_models: ___, mlflow_version: ____, ...theirRest } = expected;
      assert.deepEqual(rest, theirRest);
    } finally {
      await s.close();
    }
  });
});
