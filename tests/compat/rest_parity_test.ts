/**
 * REST parity on SQLite: the real `mlflow server` (the venv's MLflow) and `mlt server`, each over
 * its own copy of tests/fixtures/mlflow-3.17.2.db, get the same requests (experiments: search,
 * get, get-by-name; runs: search with filters, orders and paging, get; metric history with
 * paging; get-history-bulk-interval and get-history-bulk; search-datasets; refused requests and
 * their messages; /version), and their JSON bodies must be equal once the differences
 * docs/wire-parity.md lists are normalised (parity.ts). Needs the venv python (python.ts); a
 * missing one fails the test.
 */
import assert from "node:assert/strict";
import { type MltServer, startMltServer } from "../helpers/mlt_server.ts";
import { type MlflowServer, startMlflow, stopMlflow } from "./mlflow_server.ts";
import { call, type Case, compareAll, type Json } from "./parity.ts";
import { pythonPath, REPO_ROOT } from "./python.ts";
import { errorCases } from "./parity_cases.ts";

const FIXTURE = `${REPO_ROOT}/tests/fixtures/mlflow-3.17.2.db`;

const API = "/api/2.0/mlflow";

function searchCases(id: (name: string) => string): Case[] {
  const exps = (body: Record<string, unknown>, paged = false): Case => ({
    method: "POST",
    path: `${API}/experiments/search`,
    body: { max_results: 1000, ...body },
    paged,
  });
  const runs = (body: Record<string, unknown>, extra: Partial<Case> = {}): Case => ({
    method: "POST",
    path: `${API}/runs/search`,
    body: { experiment_ids: ["1"], max_results: 1000, ...body },
    ...extra,
  });
  return [
    exps({}),
    exps({ view_type: "ALL" }),
    exps({ view_type: "DELETED_ONLY" }),
    exps({ view_type: "ALL", max_results: 1, order_by: ["name DESC"] }, true),
    exps({ view_type: "ALL", max_results: 2 }, true),
    exps({ filter: "name LIKE 'fix%'" }),
    exps({ filter: "tags.team = 'mlt'" }),
    exps({ filter: "tags.unicode ILIKE '%✓'" }),
    exps({ filter: "tags.`nested/exp/tag` = 'yes'" }),
    exps({ filter: "tags.empty = ''" }),
    exps({ filter: "name != 'Default'", order_by: ["last_update_time DESC"] }),
    exps({ filter: "creation_time > 0", view_type: "ALL", order_by: ["name ASC"] }),
    exps({ order_by: ["experiment_id DESC"] }),
    exps({ order_by: ["creation_time ASC"] }),
    {
      method: "GET",
      path: `${API}/experiments/search?max_results=10&filter=${
        encodeURIComponent("name ILIKE '%ART%'")
      }`,
    },
    runs({}),
    runs({ experiment_ids: ["0", "1", "2", "3"], run_view_type: "ALL" }),
    runs({ run_view_type: "DELETED_ONLY" }),
    runs({ experiment_ids: ["3"] }),
    runs({ experiment_ids: ["3"], run_view_type: "ALL" }),
    runs({ experiment_ids: ["99"] }),
    runs({ max_results: 3 }, { paged: true }),
    runs({ max_results: 4, order_by: ["metrics.loss DESC"] }, { paged: true }),
    runs({ max_results: 2, order_by: ["attributes.run_name ASC"], filter: "metrics.loss >= 0" }, {
      paged: true,
    }),
    ...[
      "metrics.loss < 1",
      "metrics.curve >= 0.1 and attributes.status != 'RUNNING'",
      "metrics.`loss/train` < 1",
      "metrics.pos_inf > 1e308",
      "metrics.nan > 0",
      "metrics.nan != 1",
      "metrics.neg_zero = 0",
      "metrics.denormal > 0",
      "metrics.`1e16` = 10000000000000000",
      "params.lr = '0.01'",
      "params.lr != '0.01'",
      "params.lr IS NULL",
      "params.lr IS NOT NULL",
      "attributes.status = 'FINISHED'",
      "attributes.run_name LIKE 'child%'",
      "attributes.run_name ILIKE '%RUN'",
      "run_name = 'parent'",
      "attributes.start_time > 1700000004000",
      "attributes.user_id = 'alice'",
      `attributes.run_id IN ('${id("parent")}', '${id("child-1")}')`,
      `attributes.run_id = '${id("parent")}'`,
      "tags.`mlflow.runName` = 'parent'",
      "tags.`mlflow.runName` LIKE '%-run'",
      "tags.mlflow.parentRunId != ''",
      "datasets.name = 'raw-dataset'",
      "datasets.context = 'eval'",
      "datasets.digest = 'd1g3st'",
    ].map((filter) => runs({ filter })),
    ...[
      ["metrics.loss DESC"],
      ["metrics.loss ASC"],
      ["metrics.nan DESC"],
      ["metrics.mixed ASC"],
      ["metrics.pos_inf ASC"],
      ["metrics.curve DESC", "attributes.run_name ASC"],
      ["attributes.start_time ASC"],
      ["attributes.end_time DESC"],
      ["attributes.run_name ASC"],
      ["attributes.user_id DESC"],
      ["status ASC"],
      ["tags.`mlflow.runName` DESC"],
      ["tags.missing ASC"],
      ["params.alpha ASC"],
      ["params.lr DESC"],
    ].map((order_by) => runs({ order_by })),
    // Client mistakes: same status and code (mlt words its parser's messages itself).
    ...[
      "params.a = 'x' OR 1=1",
      "tags.mlflow.runName IN ('parent', 'child-1')",
      "attribute.status IN ('FAILED','KILLED')",
      "attributes.end_time IS NULL",
    ].map((filter) => runs({ filter }, { messages: false })),
    runs({ order_by: ["attributes.experiment_id DESC"] }, { messages: false }),
  ];
}

function lookupCases(id: (name: string) => string, runs: Json[]): Case[] {
  const get = (path: string): Case => ({ method: "GET", path: `${API}/${path}` });
  const finished = id("finished-run");
  const cases: Case[] = [
    ...["0", "1", "2", "3", "99"].map((e) => get(`experiments/get?experiment_id=${e}`)),
    ...["Default", "fixture-experiment", "to-be-deleted", "s3 artifacts", "nope"].map((n) =>
      get(`experiments/get-by-name?experiment_name=${encodeURIComponent(n)}`)
    ),
    get(`runs/get?run_id=${"0".repeat(32)}`),
    {
      ...get(`metrics/get-history?run_id=${finished}&metric_key=curve&max_results=3`),
      paged: true,
    },
    {
      ...get(`metrics/get-history?run_id=${finished}&metric_key=same_step&max_results=1`),
      paged: true,
    },
    get(`metrics/get-history?run_id=${finished}&metric_key=nope&max_results=25000`),
    {
      method: "POST",
      path: "/ajax-api/2.0/mlflow/experiments/search-datasets",
      body: { experiment_ids: ["0", "1", "2", "3"] },
    },
    get(`metrics/get-history-bulk-interval?run_ids=${finished}&metric_key=curve&max_results=0`),
  ];
  const bulk = (q: string) => get(`metrics/get-history-bulk-interval?${q}`);
  const run3 = ["finished-run", "child-1", "child-2"].map((n) => `run_ids=${id(n)}`).join("&");
  cases.push(
    bulk(`run_ids=${finished}&metric_key=curve`),
    bulk(`run_ids=${finished}&metric_key=curve&max_results=3`),
    bulk(`run_ids=${finished}&metric_key=curve&max_results=1`),
    bulk(`run_ids=${finished}&metric_key=curve&start_step=2&end_step=5`),
    bulk(`${run3}&metric_key=loss`),
    bulk(`run_ids=${id("default-exp-run")}&metric_key=test_metric&max_results=4`),
    ...["mixed", "same_step", "out_of_order", "neg_step", "ties", "big_step"].map((k) =>
      bulk(`run_ids=${finished}&metric_key=${k}&max_results=2`)
    ),
    {
      method: "GET",
      path: `/ajax-api/2.0/mlflow/metrics/get-history-bulk?run_id=${finished}&run_id=${
        id("child-1")
      }&metric_key=loss`,
    },
    {
      method: "GET",
      path: `/ajax-api/2.0/mlflow/metrics/get-history-bulk?run_id=${finished}` +
        "&metric_key=curve&max_results=4",
    },
  );
  for (const r of runs) {
    cases.push(get(`runs/get?run_id=${r.info.run_id}`));
    for (const m of r.data.metrics ?? []) {
      cases.push(get(
        `metrics/get-history?run_id=${r.info.run_id}&metric_key=${
          encodeURIComponent(m.key)
        }&max_results=25000`,
      ));
    }
  }
  return cases;
}

Deno.test("REST parity on SQLite: mlt server answers as mlflow server does", async (t) => {
  pythonPath();
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-rest-parity-" }));
  await Deno.copyFile(FIXTURE, `${dir}/mlflow.db`);
  await Deno.copyFile(FIXTURE, `${dir}/mlt.db`);
  let mlflow: MlflowServer | undefined;
  let mlt: MltServer | undefined;
  try {
    [mlflow, mlt] = await Promise.all([
      startMlflow(dir, ["--backend-store-uri", `sqlite:///${dir}/mlflow.db`]),
      startMltServer(dir, ["--backend-store-uri", `sqlite:///${dir}/mlt.db`]),
    ]);
    const all = await call(mlflow.url, "POST", `${API}/runs/search`, {
      experiment_ids: ["0", "1", "2", "3"],
      run_view_type: "ALL",
      max_results: 1000,
    });
    const runs: Json[] = all.body.runs;
    assert.ok(runs.length >= 10, "the fixture's runs");
    const id = (name: string) => {
      const r = runs.find((x) => x.info.run_name === name);
      assert.ok(r, `run ${name} in the fixture`);
      return r.info.run_id as string;
    };
    const groups: [string, Case[]][] = [
      ["searches", searchCases(id)],
      ["gets and histories", lookupCases(id, runs)],
      ["refused requests and /version", errorCases(id("finished-run"))],
    ];
    for (const [name, cases] of groups) {
      await t.step(`${name} (${cases.length} requests)`, async () => {
        assert.ok(await compareAll(mlflow!.url, mlt!.url, cases) >= cases.length);
      });
    }
    await t.step("experiments/create: a relative artifact_location", async () => {
      // Both resolve it against the server's working folder; inside the folder beside the
      // database (an allowed root) mlt accepts it as MLflow does.
      const body = { name: "relative", artifact_location: "mlruns/custom" };
      const [a, b] = await Promise.all([
        call(mlflow!.url, "POST", `${API}/experiments/create`, body),
        call(mlt!.url, "POST", `${API}/experiments/create`, body),
      ]);
      assert.deepEqual([b.status, a.status], [200, 200]);
      const get = (base: string, id: string) =>
        call(base, "GET", `${API}/experiments/get?experiment_id=${id}`);
      const [ea, eb] = await Promise.all([
        get(mlflow!.url, a.body.experiment_id),
        get(mlt!.url, b.body.experiment_id),
      ]);
      assert.equal(eb.body.experiment.artifact_location, `${dir}/mlruns/custom`);
      assert.equal(eb.body.experiment.artifact_location, ea.body.experiment.artifact_location);
      // Outside every root: MLflow accepts it, mlt refuses and says why (wire-parity.md §6).
      const out = await call(mlt!.url, "POST", `${API}/experiments/create`, {
        name: "outside",
        artifact_location: "elsewhere/x",
      });
      assert.equal(out.status, 400);
      assert.match(out.body.message, /outside this server's artifact roots.*--artifact-root/);
    });
  } finally {
    if (mlflow) await stopMlflow(mlflow);
    if (mlt) {
      mlt.child.kill("SIGTERM");
      await mlt.child.status;
      await mlt.stderr;
    }
    await Deno.remove(dir, { recursive: true });
  }
});
