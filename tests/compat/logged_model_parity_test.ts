/**
 * REST parity of the logged-model endpoints on SQLite: `mlflow server` (the venv's MLflow) and
 * `mlt server`, each over its own copy of tests/fixtures/mlflow-3.17.2-models.db, get the same
 * reads (get, search with filters, orders, datasets and paging, runs with model inputs and
 * outputs) and the same writes (create, finalize, tags, params, metrics on a model, run links,
 * delete, mistakes), and their JSON bodies must be equal once the ids and times the writes draw
 * are replaced by placeholders. Then the same `mlflow.sklearn.autolog()` script runs against both
 * and must log the same metric keys and artifact paths. Needs the venv python (python.ts).
 */
import assert from "node:assert/strict";
import { type MlflowServer, startMlflow, stopMlflow } from "./mlflow_server.ts";
import { type Answer, call, type Json } from "./parity.ts";
import { type MltServer, startMltServer } from "../helpers/mlt_server.ts";
import { pythonPath, REPO_ROOT } from "./python.ts";
import { runFlows } from "./model_flows.ts";

const FIXTURE = `${REPO_ROOT}/tests/fixtures/mlflow-3.17.2-models.db`;
const API = "/api/2.0/mlflow";

/**
 * Replaces what each server draws for itself: ids created during the test (in order of first
 * appearance) and the times of writes. MLflow 3.17's extra error fields go too.
 */
function normaliser(known: Set<string>): (a: Answer) => Answer {
  const ids = new Map<string, string>();
  const id = (s: string) => {
    if (known.has(s)) return s;
    if (!ids.has(s)) ids.set(s, `<id${ids.size}>`);
    return ids.get(s)!;
  };
  const walk = (v: Json, key = ""): Json => {
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v && typeof v === "object") {
      const out: Json = {};
      for (const [k, x] of Object.entries(v)) {
        if (k === "error_class" || k === "sqlstate") continue;
        out[k] = walk(x, k);
      }
      // Both order a run's model links by model id, which each server draws at random.
      for (const k of ["model_inputs", "model_outputs"]) {
        if (Array.isArray(out[k])) {
          out[k].sort((a: Json, b: Json) => JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
        }
      }
      return out;
    }
    if (typeof v === "number" && /timestamp_ms$|^start_time$|^end_time$/.test(key)) return "<t>";
    if (typeof v !== "string") return v;
    return v.replace(/m-[0-9a-f]{32}|\b[0-9a-f]{32}\b/g, id);
  };
  return (a) => ({ status: a.status, body: walk(a.body) });
}

function idsIn(v: Json, out = new Set<string>()): Set<string> {
  const text = JSON.stringify(v);
  for (const m of text.matchAll(/m-[0-9a-f]{32}|\b[0-9a-f]{32}\b/g)) out.add(m[0]);
  return out;
}

interface Case {
  method: string;
  path: string;
  body?: Record<string, unknown>;
  /** Compare status and error code only (mlt words its search parser's messages itself). */
  codeOnly?: boolean;
  /** MLflow fails with a 500 here (a client mistake it does not catch); mlt answers 400. */
  mlflow500?: boolean;
  /** Follow next_page_token on both sides. */
  paged?: boolean;
}

function readCases(f: { models: Json[]; runs: Json[] }): Case[] {
  const byName = (n: string) => f.models.find((m: Json) => m.info.name === n)?.info.model_id;
  const run = (n: string) => f.runs.find((r: Json) => r.info.run_name === n).info.run_id;
  const search = (body: Record<string, unknown>, extra: Partial<Case> = {}): Case => ({
    method: "POST",
    path: `${API}/logged-models/search`,
    body: { experiment_ids: ["1"], ...body },
    ...extra,
  });
  const cases: Case[] = [];
  for (const m of [...f.models.map((x: Json) => x.info.model_id), byName("deleted")]) {
    cases.push({ method: "GET", path: `${API}/logged-models/${m}` });
    cases.push({
      method: "GET",
      path: `/ajax-api/2.0/mlflow/logged-models/${m}?allow_deleted=true`,
    });
  }
  cases.push({ method: "GET", path: `${API}/logged-models/m-${"0".repeat(32)}` });
  for (const r of f.runs) {
    cases.push({ method: "GET", path: `${API}/runs/get?run_id=${r.info.run_id}` });
  }
  cases.push({
    method: "POST",
    path: `${API}/runs/search`,
    body: { experiment_ids: ["1"], max_results: 10 },
  });
  cases.push(
    search({}),
    search({ experiment_ids: ["1", "2"] }),
    search({ experiment_ids: ["2", "99"] }),
    ...[
      "name = 'finalized'",
      "name LIKE 'f%'",
      "attributes.name ILIKE 'PEND%'",
      "name IN ('pending', 'failed')",
      "name != 'pending'",
      "metrics.acc > 0.5",
      "metrics.acc <= 0.1",
      "metrics.loss = 0.25 AND params.C = '1.0'",
      "params.`nested/param` = 'x'",
      "tags.team = 'ml'",
      "tags.stage LIKE 'dra%'",
      "model_type = 'sklearn'",
      `source_run_id = '${run("train")}'`,
      "creation_timestamp > 0",
      "last_updated_timestamp >= 0",
    ].map((filter) => search({ filter })),
    ...[
      [{ field_name: "name" }],
      [{ field_name: "name", ascending: false }],
      [{ field_name: "metrics.acc", ascending: false }],
      [{ field_name: "metrics.acc" }],
      [{ field_name: "metrics.acc", dataset_name: "iris-eval", dataset_digest: "abc123" }],
      [{ field_name: "metrics.loss", ascending: false }, { field_name: "name" }],
      [{ field_name: "creation_timestamp" }],
      [{ field_name: "last_updated_timestamp", ascending: false }],
      [{ field_name: "model_id" }],
    ].map((order_by) => search({ order_by })),
    search({ datasets: [{ dataset_name: "iris-eval", dataset_digest: "abc123" }] }),
    search({
      filter: "metrics.acc > 0.1",
      datasets: [{ dataset_name: "iris-eval", dataset_digest: "abc123" }],
    }),
    search({ max_results: 1, order_by: [{ field_name: "name" }] }, { paged: true }),
    search({ max_results: 2, filter: "name != 'x'" }, { paged: true }),
    search({ max_results: 1, page_token: btoa('{"experiment_ids": ["2"], "offset": 1}') }),
    search({ filter: "name = 'a' OR name = 'b'" }, { codeOnly: true }),
    search({ filter: "metrics.acc = 'high'" }, { mlflow500: true }),
    search({ order_by: [{ field_name: "params.C" }] }, { codeOnly: true }),
    search({ datasets: [{ dataset_digest: "abc123" }] }),
    { method: "POST", path: `${API}/logged-models/search`, body: {} },
  );
  return cases;
}

async function compare(
  mlflow: string,
  mlt: string,
  c: Case,
  norm: [(a: Answer) => Answer, (a: Answer) => Answer],
) {
  let token: string | undefined;
  let pages = 0;
  do {
    const body = token ? { ...c.body, page_token: token } : c.body;
    const [a, b] = await Promise.all([
      call(mlflow, c.method, c.path, body),
      call(mlt, c.method, c.path, body),
    ]);
    const what = `${c.method} ${c.path} ${body ? JSON.stringify(body) : ""}`;
    const [na, nb] = [norm[0](a), norm[1](b)];
    if (c.mlflow500) {
      assert.equal(na.status, 500, what);
      assert.deepEqual([nb.status, nb.body.error_code], [400, "INVALID_PARAMETER_VALUE"], what);
    } else if (c.codeOnly) {
      assert.deepEqual([nb.status, nb.body.error_code], [na.status, na.body.error_code], what);
    } else assert.deepEqual(nb, na, what);
    token = a.body.next_page_token;
    pages++;
  } while (c.paged && token);
  return pages;
}

// The same writes on both servers; each answer compared after normalisation.
async function writeCases(
  mlflow: string,
  mlt: string,
  norm: [(a: Answer) => Answer, (a: Answer) => Answer],
  train: string,
) {
  const both = async (
    method: string,
    path: (side: number) => string,
    body?: (side: number) => unknown,
  ) => {
    const [a, b] = await Promise.all([
      call(mlflow, method, path(0), body?.(0)),
      call(mlt, method, path(1), body?.(1)),
    ]);
    assert.deepEqual(norm[1](b), norm[0](a), `${method} ${path(1)} ${JSON.stringify(body?.(1))}`);
    return [a, b];
  };
  const created = await both("POST", () => `${API}/logged-models`, () => ({
    experiment_id: "1",
    name: "written",
    source_run_id: train,
    params: [{ key: "p", value: "1" }, { key: "q", value: "x y" }],
    tags: [{ key: "t", value: "v" }],
  }));
  const ids = created.map((a) => a.body.model.info.model_id as string);
  const model = (side: number, rest = "") => `${API}/logged-models/${ids[side]}${rest}`;
  await both("PATCH", (i) => model(i), (i) => ({ model_id: ids[i], status: "LOGGED_MODEL_READY" }));
  await both(
    "PATCH",
    (i) => model(i, "/tags"),
    () => ({ tags: [{ key: "u", value: "2" }, { key: "t", value: "w" }] }),
  );
  await both("DELETE", (i) => model(i, "/tags/u"));
  await both("DELETE", (i) => model(i, "/tags/u"));
  await both(
    "POST",
    (i) => model(i, "/params"),
    (i) => ({ model_id: ids[i], params: [{ key: "r", value: "3" }] }),
  );
  await both("POST", () => `${API}/runs/log-metric`, (i) => ({
    run_id: train,
    key: "written_metric",
    value: 0.5,
    timestamp: 1_700_000_123_000 + i * 0,
    step: 2,
    model_id: ids[i],
  }));
  await both("POST", () => `${API}/runs/log-batch`, (i) => ({
    run_id: train,
    metrics: [{
      key: "written_metric",
      value: 0.75,
      timestamp: 1_700_000_124_000,
      step: 3,
      model_id: ids[i],
      dataset_name: "d",
      dataset_digest: "e",
    }],
  }));
  await both("GET", (i) => model(i));
  await both(
    "POST",
    () => `${API}/runs/outputs`,
    (i) => ({ run_id: train, models: [{ model_id: ids[i], step: 7 }] }),
  );
  await both(
    "POST",
    () => `${API}/runs/log-inputs`,
    (i) => ({ run_id: train, models: [{ model_id: ids[i] }] }),
  );
  await both("GET", () => `${API}/runs/get?run_id=${train}`);
  await both("POST", () => `${API}/logged-models/search`, () => ({
    experiment_ids: ["1"],
    filter: "name = 'written'",
  }));
  await both("DELETE", (i) => model(i), (i) => ({ model_id: ids[i] }));
  await both("GET", (i) => model(i));
  for (
    const body of [
      { experiment_id: "2", name: "late" },
      { experiment_id: "99", name: "nowhere" },
      { experiment_id: "1", name: "a/b" },
      { name: "no experiment" },
    ]
  ) await both("POST", () => `${API}/logged-models`, () => body);
}

Deno.test("REST parity on SQLite: the logged-model endpoints answer as mlflow server's", async (t) => {
  pythonPath();
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-lm-parity-" }));
  await Deno.copyFile(FIXTURE, `${dir}/mlflow.db`);
  await Deno.copyFile(FIXTURE, `${dir}/mlt.db`);
  await Deno.mkdir(`${dir}/mlflow-cwd`);
  await Deno.mkdir(`${dir}/mlt-cwd`);
  let mlflow: MlflowServer | undefined;
  let mlt: MltServer | undefined;
  try {
    [mlflow, mlt] = await Promise.all([
      startMlflow(`${dir}/mlflow-cwd`, ["--backend-store-uri", `sqlite:///${dir}/mlflow.db`]),
      startMltServer(`${dir}/mlt-cwd`, ["--backend-store-uri", `sqlite:///${dir}/mlt.db`]),
    ]);
    const search = await call(mlflow.url, "POST", `${API}/logged-models/search`, {
      experiment_ids: ["1", "2"],
    });
    const runs = await call(mlflow.url, "POST", `${API}/runs/search`, { experiment_ids: ["1"] });
    const fixture = { models: search.body.models, runs: runs.body.runs };
    assert.equal(fixture.models.length, 4, "the fixture's active models");
    const known = idsIn(fixture);
    const norm: [(a: Answer) => Answer, (a: Answer) => Answer] = [
      normaliser(known),
      normaliser(known),
    ];
    await t.step("reads", async () => {
      const cases = readCases(fixture);
      let pages = 0;
      for (const c of cases) pages += await compare(mlflow!.url, mlt!.url, c, norm);
      assert.ok(pages > cases.length, "paged cases followed their tokens");
    });
    const train = fixture.runs.find((r: Json) => r.info.run_name === "train").info.run_id;
    await t.step("writes", () => writeCases(mlflow!.url, mlt!.url, norm, train));
    await t.step("sklearn autolog logs the same keys and artifacts on both", async () => {
      const [a, b] = await Promise.all([
        runFlows(mlflow!.url, `${dir}/mlflow-cwd`, pythonPath(), ["autolog"]),
        runFlows(mlt!.url, `${dir}/mlt-cwd`, pythonPath(), ["autolog"]),
      ]);
      assert.deepEqual([a.results, b.results], [{ autolog: "ok" }, { autolog: "ok" }]);
      assert.ok(a.autolog!.metrics.length > 0 && a.autolog!.artifacts.length > 0);
      assert.deepEqual(b.autolog, a.autolog);
    });
  } finally {
    await Promise.all([
      mlflow ? stopMlflow(mlflow) : undefined,
      mlt ? (mlt.child.kill("SIGTERM"), mlt.child.status) : undefined,
    ]);
    await Deno.remove(dir, { recursive: true });
  }
});
