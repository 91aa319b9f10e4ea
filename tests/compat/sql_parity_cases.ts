/**
 * REST parity cases over the data of tests/fixtures/mlflow-3.17.2.db (written by the real
 * MLflow): searches, gets and metric histories. Shared by the SQLite parity test and the
 * PostgreSQL one (the same data copied into PostgreSQL). None of them writes.
 */
import assert from "node:assert/strict";
import { call, type Case, type Json } from "./parity.ts";
import { errorCases } from "./parity_cases.ts";

const API = "/api/2.0/mlflow";

/** Searches over the SQLite fixture's data (tests/fixtures/mlflow-3.17.2.db). */
export function searchCases(id: (name: string) => string): Case[] {
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

/** Gets and metric histories of the fixture's runs (`runs`: every run, as MLflow lists them). */
export function lookupCases(id: (name: string) => string, runs: Json[]): Case[] {
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

/**
 * Every read-only group of parity requests over the fixture's data, named for test steps; the
 * fixture's run ids are read from the `mlflow server` at `mlflowUrl`.
 */
export async function fixtureGroups(mlflowUrl: string): Promise<[string, Case[]][]> {
  const all = await call(mlflowUrl, "POST", `${API}/runs/search`, {
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
  return [
    ["searches", searchCases(id)],
    ["gets and histories", lookupCases(id, runs)],
    ["refused requests and /version", errorCases(id("finished-run"))],
  ];
}
