/**
 * REST parity on SQLite: the real `mlflow server` (the venv's MLflow) and `mlt server`, each over
 * its own copy of tests/fixtures/mlflow-3.17.2.db, get the same read requests (experiments:
 * search, get, get-by-name; runs: search with filters, orders and paging, get; metric history
 * with paging; get-history-bulk-interval and get-history-bulk; search-datasets), and their JSON
 * bodies must be equal once the differences the README lists are normalised (normalise() below,
 * one line per difference). Needs the venv python (python.ts); a missing one fails the test.
 */
import assert from "node:assert/strict";
import {
  type Answer,
  call,
  type Json,
  type MlflowServer,
  startMlflow,
  stopMlflow,
} from "../helpers/mlflow_server.ts";
import { type MltServer, startMltServer } from "../helpers/mlt_server.ts";
import { pythonPath, REPO_ROOT } from "./python.ts";

const FIXTURE = `${REPO_ROOT}/tests/fixtures/mlflow-3.17.2.db`;
const MAX_DOUBLE = 1.7976931348623157e308;

const byKey = (a: { key: string }, b: { key: string }) =>
  a.key < b.key ? -1 : a.key > b.key ? 1 : 0;

// A metric value: MLflow's SQL store reads ±Infinity back as ±max double, mlt as ±Infinity.
function value(v: Json): Json {
  return v === MAX_DOUBLE ? "Infinity" : v === -MAX_DOUBLE ? "-Infinity" : v;
}

function normaliseMetrics(ms: Json[] | undefined): Json[] | undefined {
  return ms?.map((m) => ({ ...m, value: value(m.value) }));
}

function normaliseExperiment(e: Json): Json {
  // MLflow 3.17 adds `workspace` ("default"); mlt has no workspaces.
  const { workspace: _, ...rest } = e;
  // An experiment's tags: MLflow answers in writing order, mlt sorted by key.
  return { ...rest, ...(e.tags ? { tags: [...e.tags].sort(byKey) } : {}) };
}

function normaliseRun(r: Json): Json {
  const data = { ...r.data };
  // A run's latest metrics, params and tags: MLflow answers in writing order, mlt sorted by key.
  for (const k of ["metrics", "params", "tags"]) if (data[k]) data[k] = [...data[k]].sort(byKey);
  if (data.metrics) data.metrics = normaliseMetrics(data.metrics);
  return { ...r, data };
}

/** The README-listed differences, made equal; everything else must match exactly. */
function normalise(a: Answer, opts: { messages?: boolean } = {}): Answer {
  const b = { ...a.body };
  if (b.error_code) {
    // MLflow 3.17 adds `error_class` and `sqlstate` to errors; mlt sends MLflow's two fields.
    delete b.error_class;
    delete b.sqlstate;
    // mlt's filter and order_by errors have messages of their own (token and position).
    if (opts.messages === false) delete b.message;
  }
  if (b.experiment) b.experiment = normaliseExperiment(b.experiment);
  if (b.experiments) b.experiments = b.experiments.map(normaliseExperiment);
  if (b.run) b.run = normaliseRun(b.run);
  if (b.runs) b.runs = b.runs.map(normaliseRun);
  if (b.metrics) b.metrics = normaliseMetrics(b.metrics);
  // get-history: mlt's token carries a keyset cursor beside MLflow's offset (README); the offset
  // must match, and MLflow's own offset-only token pages on mlt too (compare() sends it).
  if (typeof b.next_page_token === "string") {
    const t = JSON.parse(atob(b.next_page_token));
    if (t.after) b.next_page_token = btoa(`{"offset": ${t.offset}}`);
  }
  // search-datasets: MLflow's SQL has no ORDER BY; compare as sets.
  if (b.dataset_summaries) {
    b.dataset_summaries = [...b.dataset_summaries].sort((x, y) =>
      JSON.stringify(x) < JSON.stringify(y) ? -1 : 1
    );
  }
  return { status: a.status, body: b };
}

interface Case {
  method: "GET" | "POST";
  path: string;
  body?: Record<string, unknown>;
  /** Follow next_page_token on both sides and compare every page. */
  paged?: boolean;
  /** Error messages differ by design (mlt's search parser); compare status and code only. */
  messages?: false;
}

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

// Sends one case to both servers (following page tokens when paged) and compares.
async function compare(mlflow: string, mlt: string, c: Case): Promise<number> {
  let token: string | undefined;
  let pages = 0;
  do {
    let path = c.path, body = c.body;
    if (token) {
      if (c.method === "GET") path += `&page_token=${encodeURIComponent(token)}`;
      else body = { ...body, page_token: token };
    }
    const [a, b] = await Promise.all([
      call(mlflow, c.method, path, body),
      call(mlt, c.method, path, body),
    ]);
    const what = `${c.method} ${path} ${body ? JSON.stringify(body) : ""}`;
    assert.deepEqual(normalise(b, c), normalise(a, c), what);
    pages++;
    token = a.body.next_page_token;
    if (!c.paged) break;
  } while (token);
  return pages;
}

Deno.test("REST parity on SQLite: mlt server answers reads as mlflow server does", async (t) => {
  pythonPath();
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-rest-parity-" }));
  await Deno.copyFile(FIXTURE, `${dir}/mlflow.db`);
  await Deno.copyFile(FIXTURE, `${dir}/mlt.db`);
  let mlflow: MlflowServer | undefined;
  let mlt: MltServer | undefined;
  try {
    [mlflow, mlt] = await Promise.all([
      startMlflow(dir, `sqlite:///${dir}/mlflow.db`),
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
    ];
    for (const [name, cases] of groups) {
      await t.step(`${name} (${cases.length} requests)`, async () => {
        let pages = 0;
        for (const c of cases) pages += await compare(mlflow!.url, mlt!.url, c);
        assert.ok(pages >= cases.length);
      });
    }
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
