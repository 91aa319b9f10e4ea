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
import { call, compareAll } from "./parity.ts";
import { pythonPath, REPO_ROOT } from "./python.ts";
import { fixtureGroups } from "./sql_parity_cases.ts";

const FIXTURE = `${REPO_ROOT}/tests/fixtures/mlflow-3.17.2.db`;

const API = "/api/2.0/mlflow";

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
    const groups = await fixtureGroups(mlflow.url);
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
