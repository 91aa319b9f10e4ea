/**
 * REST parity on the file store: the real `mlflow server` (MLFLOW_ALLOW_FILE_STORE=true) and
 * `mlt server`, each over its own copy of tests/fixtures/mlruns-3.17.2, get the same requests
 * (experiment searches and gets with `workspace`; run searches and gets and every metric
 * history, whose points carry `run_id` on this store; the bulk histories; search-datasets;
 * refused requests; /version). Bodies must be equal once docs/wire-parity.md's differences are
 * normalised (parity.ts). Also: a brand-new file store lists the Default experiment as MLflow's
 * FileStore does, without mlt creating a file. Needs the venv python (python.ts).
 */
import assert from "node:assert/strict";
import { type MltServer, startMltServer } from "../helpers/mlt_server.ts";
import { checkoutFixture, rmTemp } from "./file_tree.ts";
import { type MlflowServer, startMlflow, stopMlflow } from "./mlflow_server.ts";
import { call, type Case, compareAll, type Json } from "./parity.ts";
import { errorCases } from "./parity_cases.ts";
import { pythonPath, runPython } from "./python.ts";

const API = "/api/2.0/mlflow";
const AJAX = "/ajax-api/2.0/mlflow";

function experimentCases(ids: string[]): Case[] {
  const search = (body: Record<string, unknown>, paged = false): Case => ({
    method: "POST",
    path: `${API}/experiments/search`,
    body: { max_results: 1000, ...body },
    paged,
  });
  return [
    search({}),
    search({ view_type: "ALL" }),
    search({ view_type: "DELETED_ONLY" }),
    search({ view_type: "ALL", max_results: 1, order_by: ["name DESC"] }, true),
    search({ filter: "tags.team = 'mlt'" }),
    search({ filter: "name LIKE 'fix%'", order_by: ["creation_time ASC"] }),
    ...[...ids, "12345"].map((id): Case => ({
      method: "GET",
      path: `${API}/experiments/get?experiment_id=${id}`,
    })),
    ...["Default", "fixture-experiment", "to-be-deleted", "nope"].map((n): Case => ({
      method: "GET",
      path: `${API}/experiments/get-by-name?experiment_name=${encodeURIComponent(n)}`,
    })),
  ];
}

function runCases(ids: string[], runs: Json[]): Case[] {
  const search = (body: Record<string, unknown>, paged = false): Case => ({
    method: "POST",
    path: `${API}/runs/search`,
    body: { experiment_ids: ids, max_results: 1000, run_view_type: "ALL", ...body },
    paged,
  });
  const get = (path: string): Case => ({ method: "GET", path });
  const cases: Case[] = [
    search({ order_by: ["attributes.run_name ASC"] }),
    search({ order_by: ["attributes.start_time DESC"], max_results: 4 }, true),
    search({ filter: "metrics.loss < 1", order_by: ["metrics.loss DESC"] }),
    search({ filter: "params.lr = '0.01'" }),
    search({ filter: "tags.`mlflow.runName` LIKE 'child%'", run_view_type: "ACTIVE_ONLY" }),
    {
      method: "POST",
      path: `${AJAX}/experiments/search-datasets`,
      body: { experiment_ids: ids },
    },
  ];
  for (const r of runs) {
    const run = r.info.run_id;
    cases.push(get(`${API}/runs/get?run_id=${run}`));
    for (const m of r.data.metrics ?? []) {
      const key = encodeURIComponent(m.key);
      cases.push(
        get(`${API}/metrics/get-history?run_id=${run}&metric_key=${key}&max_results=25000`),
        get(`${API}/metrics/get-history?run_id=${run}&metric_key=${key}&max_results=2`),
      );
      // The bulk endpoints send no dataset fields, so a point logged with a dataset cannot be
      // told apart there (its step differs: wire-parity.md §9; get-history covers it).
      if (m.dataset_name) continue;
      cases.push(get(`${AJAX}/metrics/get-history-bulk?run_id=${run}&metric_key=${key}`));
      // Enough room for every point; not below step 0, where MLflow's FileStore samples nothing
      // and mlt keeps the points, as MLflow's SQL store does (wire-parity.md §7).
      if (m.key === "neg_step") continue;
      cases.push(get(`${API}/metrics/get-history-bulk-interval?run_ids=${run}&metric_key=${key}`));
    }
  }
  return cases;
}

async function stopMlt(mlt: MltServer): Promise<void> {
  mlt.child.kill("SIGTERM");
  await mlt.child.status;
  await mlt.stderr;
}

Deno.test("REST parity on the file store: mlt server answers as mlflow server does", async (t) => {
  pythonPath();
  const [a, b] = await Promise.all([
    checkoutFixture("mlruns-3.17.2"),
    checkoutFixture("mlruns-3.17.2"),
  ]);
  let mlflow: MlflowServer | undefined;
  let mlt: MltServer | undefined;
  try {
    [mlflow, mlt] = await Promise.all([
      startMlflow(`${a.root}/..`, ["--backend-store-uri", a.root]),
      startMltServer(`${b.root}/..`, ["--backend-store-uri", b.root]),
    ]);
    const ids = a.expected.experiments.map((e) => e.experiment_id);
    const all = await call(mlflow.url, "POST", `${API}/runs/search`, {
      experiment_ids: ids,
      run_view_type: "ALL",
      max_results: 1000,
    });
    const runs: Json[] = all.body.runs;
    assert.ok(runs.length >= 10, "the fixture's runs");
    const finished = runs.find((r) => r.info.run_name === "finished-run").info.run_id;
    assert.ok(
      runs.some((r) => r.data.metrics?.some((m: Json) => m.run_id === r.info.run_id)),
      "MLflow's FileStore sends run_id on a run's metrics",
    );
    const groups: [string, Case[]][] = [
      ["experiments", experimentCases(ids)],
      ["runs and histories", runCases(ids, runs)],
      ["refused requests and /version", errorCases(finished)],
    ];
    for (const [name, cases] of groups) {
      await t.step(`${name} (${cases.length} requests)`, async () => {
        assert.ok(await compareAll(mlflow!.url, mlt!.url, cases, "file") >= cases.length);
      });
    }
  } finally {
    if (mlflow) await stopMlflow(mlflow);
    if (mlt) await stopMlt(mlt);
    await rmTemp(a.root);
    await rmTemp(b.root);
  }
});

// MLflow's FileStore opened on a missing root, its experiments as its server encodes them.
const MLFLOW_NEW_STORE = `
import sys
from mlflow.store.tracking.file_store import FileStore
from mlflow.utils.proto_json_utils import message_to_json
from mlflow.protos.service_pb2 import SearchExperiments
# As \`mlflow server\` opens it: serving artifacts, new experiments go to mlflow-artifacts:/.
store = FileStore(sys.argv[1], "mlflow-artifacts:/")
reply = SearchExperiments.Response()
reply.experiments.extend([e.to_proto() for e in store.search_experiments()])
print(message_to_json(reply))
`;

Deno.test("a brand-new file store lists the Default experiment as MLflow's does, writing nothing", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-new-store-" }));
  let mlt: MltServer | undefined;
  try {
    mlt = await startMltServer(dir, ["--backend-store-uri", "./mlruns"]);
    const ours = await call(mlt.url, "POST", `${API}/experiments/search`, {});
    const byName = await call(
      mlt.url,
      "GET",
      `${API}/experiments/get-by-name?experiment_name=Default`,
    );
    await stopMlt(mlt);
    mlt = undefined;
    assert.deepEqual([...Deno.readDirSync(dir)], [], "mlt server wrote nothing");
    const theirs = JSON.parse(await runPython(["-c", MLFLOW_NEW_STORE, `${dir}/mlruns`]));
    // Creation times differ (each store's own open); everything else is MLflow's.
    const untimed = (e: Json) => ({ ...e, creation_time: 0, last_update_time: 0 });
    assert.equal(ours.status, 200);
    assert.deepEqual(ours.body.experiments.map(untimed), theirs.experiments.map(untimed));
    assert.deepEqual(untimed(byName.body.experiment), untimed(theirs.experiments[0]));
  } finally {
    if (mlt) await stopMlt(mlt);
    await Deno.remove(dir, { recursive: true });
  }
});
