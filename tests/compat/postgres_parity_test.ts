/**
 * REST parity on PostgreSQL, on ONE database: the real `mlflow server` (MLflow 3.17.2 with
 * psycopg2, `postgresql+psycopg2://`) and `mlt server` serve the same PostgreSQL database, into
 * which `mlt migrate` copied tests/fixtures/mlflow-3.17.2.db. Both get the SQLite parity test's
 * requests and must answer alike (parity.ts normalises only what docs/wire-parity.md lists).
 * Then both write to the database in turn: experiment ids from either never collide, and each
 * server reads what the other wrote.
 */
import assert from "node:assert/strict";
import { type MltServer, startMltServer } from "../helpers/mlt_server.ts";
import { mlt } from "../helpers/mlt_cli.ts";
import { sharedCluster, stopClusterTest } from "../helpers/postgres.ts";
import { type MlflowServer, startMlflow, stopMlflow } from "./mlflow_server.ts";
import { call, compareAll } from "./parity.ts";
import { pythonPath, REPO_ROOT } from "./python.ts";
import { fixtureGroups } from "./sql_parity_cases.ts";

const API = "/api/2.0/mlflow";

Deno.test("REST parity on PostgreSQL: mlflow server and mlt server on the same database", async (t) => {
  pythonPath();
  const cluster = sharedCluster();
  const db = cluster.createDatabase("parity");
  const url = cluster.url(db);
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-pg-parity-" }));
  let mlflow: MlflowServer | undefined;
  let srv: MltServer | undefined;
  try {
    await Deno.copyFile(`${REPO_ROOT}/tests/fixtures/mlflow-3.17.2.db`, `${dir}/fixture.db`);
    const copied = await mlt(
      ["migrate", "--from", `sqlite:///${dir}/fixture.db`, "--to", url, "--quiet"],
      { cwd: dir },
    );
    assert.equal(copied.code, 0, copied.stdout + copied.stderr);
    [mlflow, srv] = await Promise.all([
      startMlflow(dir, ["--backend-store-uri", cluster.url(db, { scheme: "postgresql+psycopg2" })]),
      startMltServer(dir, ["--backend-store-uri", url]),
    ]);
    const groups = await fixtureGroups(mlflow.url);
    for (const [name, cases] of groups) {
      await t.step(`${name} (${cases.length} requests)`, async () => {
        // MLflow's SQL store: the normalisations of SQLite apply (e.g. ±inf read back as ±max).
        assert.ok(await compareAll(mlflow!.url, srv!.url, cases, "sqlite") >= cases.length);
      });
    }
    await t.step("writes from both servers: fresh ids, each reads the other's", async () => {
      const made: string[] = [];
      for (const [i, base] of [mlflow!.url, srv!.url, mlflow!.url, srv!.url].entries()) {
        const r = await call(base, "POST", `${API}/experiments/create`, { name: `both-${i}` });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        made.push(r.body.experiment_id);
      }
      assert.equal(new Set(made).size, 4, `distinct ids ${made}`);
      const run = await call(srv!.url, "POST", `${API}/runs/create`, { experiment_id: made[0] });
      const runId = run.body.run.info.run_id;
      const logged = await call(mlflow!.url, "POST", `${API}/runs/log-batch`, {
        run_id: runId,
        metrics: [{ key: "m", value: 1.5, timestamp: 7, step: 3 }],
        params: [{ key: "p", value: "v" }],
      });
      assert.equal(logged.status, 200, JSON.stringify(logged.body));
      await compareAll(mlflow!.url, srv!.url, [
        { method: "GET", path: `${API}/runs/get?run_id=${runId}` },
        { method: "GET", path: `${API}/metrics/get-history?run_id=${runId}&metric_key=m` },
        { method: "POST", path: `${API}/experiments/search`, body: { max_results: 100 } },
      ], "sqlite");
    });
  } finally {
    if (mlflow) await stopMlflow(mlflow);
    if (srv) {
      srv.child.kill("SIGTERM");
      await srv.child.status;
      await srv.stderr;
    }
    await Deno.remove(dir, { recursive: true });
  }
});

stopClusterTest();
