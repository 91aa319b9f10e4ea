/** `mlt experiments …` through the real CLI, against temp file stores and a real server. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openStore } from "../src/store/open.ts";
import { closedPort, errorLine, inTempDir, mlt } from "./helpers/mlt_cli.ts";
import { listen, startRestServer } from "./helpers/rest_server.ts";

const idOf = (stdout: string) => /with id (\S+)/.exec(stdout)![1];

Deno.test("mlt experiments create, list, describe, rename, delete, restore on a file store", async () => {
  await inTempDir(async (dir) => {
    const store = ["--tracking-uri", join(dir, "mlruns")];
    const a = await mlt(["experiments", "create", "alpha", ...store]);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /^Created experiment 'alpha' with id \d+/);
    const b = await mlt([
      "experiments",
      "create",
      "-n",
      "beta",
      "-t",
      "team=ml",
      "--json",
      ...store,
    ]);
    assert.equal(b.code, 0, b.stderr);
    const beta = JSON.parse(b.stdout).experimentId;
    const alpha = idOf(a.stdout);

    const dup = await mlt(["experiments", "create", "alpha", ...store]);
    assert.equal(dup.code, 1);
    assert.match(errorLine(dup), /^error: .*'alpha' already exists/);
    assert.equal(dup.stderr.trim().split("\n").length, 1);

    const list = await mlt(["experiments", "list", ...store]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^ID\s+NAME\s+STAGE\s+CREATED\s+ARTIFACT LOCATION/);
    for (const n of ["alpha", "beta", "Default"]) assert.match(list.stdout, new RegExp(n));
    const json = await mlt([
      "experiments",
      "search",
      "--filter",
      "name LIKE '%a'",
      "--order-by",
      "name DESC",
      "--json",
      ...store,
    ]);
    assert.deepEqual(JSON.parse(json.stdout).map((e: { name: string }) => e.name), [
      "beta",
      "alpha",
    ]);
    const one = await mlt(["experiments", "list", "--max-results", "1", ...store]);
    assert.match(one.stderr, /more experiments/);

    const d = await mlt(["experiments", "describe", "-n", "beta", "--json", ...store]);
    const desc = JSON.parse(d.stdout);
    assert.deepEqual([desc.experimentId, desc.tags, desc.runs], [beta, [{
      key: "team",
      value: "ml",
    }], {
      active: 0,
      deleted: 0,
    }]);
    const human = await mlt(["experiments", "describe", alpha, ...store]);
    assert.match(human.stdout, /name\s+alpha/);
    assert.match(human.stdout, /runs\s+0 active, 0 deleted/);

    const r = await mlt(["experiments", "rename", "-x", alpha, "--new-name", "alpha2", ...store]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /renamed from 'alpha' to 'alpha2'/);

    // One unknown id: nothing is deleted.
    const bad = await mlt(["experiments", "delete", alpha, "424242", ...store]);
    assert.equal(bad.code, 1);
    assert.match(errorLine(bad), /^error: .*424242/);
    const s = openStore(join(dir, "mlruns"));
    assert.equal((await s.getExperiment(alpha)).lifecycleStage, "active");
    const del = await mlt(["experiments", "delete", alpha, "-x", beta, ...store]);
    assert.equal(del.code, 0, del.stderr);
    assert.match(del.stdout, new RegExp(`Experiment with ID ${beta} has been deleted`));
    assert.equal((await s.getExperiment(beta)).lifecycleStage, "deleted");
    const deleted = await mlt([
      "experiments",
      "list",
      "--view",
      "deleted_only",
      "--json",
      ...store,
    ]);
    assert.equal(JSON.parse(deleted.stdout).length, 2);
    const again = await mlt(["experiments", "delete", beta, ...store]);
    assert.match(errorLine(again), /^error: Cannot delete experiment .* it is deleted/);
    const res = await mlt(["experiments", "restore", alpha, ...store]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal((await s.getExperiment(alpha)).lifecycleStage, "active");
    await s.close();
  });
});

Deno.test("mlt experiments: usage mistakes exit 2", async () => {
  await inTempDir(async (dir) => {
    const store = ["--tracking-uri", join(dir, "mlruns")];
    for (
      const args of [
        ["experiments", "create", ...store],
        ["experiments", "create", "a", "-n", "b", ...store],
        ["experiments", "list", "--view", "bogus", ...store],
        ["experiments", "list", "--max-results", "0", ...store],
        ["experiments", "delete", ...store],
        ["experiments", "describe", "1", "-n", "x", ...store],
        ["experiments", "create", "x", "-t", "novalue", ...store],
      ]
    ) {
      const r = await mlt(args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(errorLine(r), /^error: /, args.join(" "));
    }
  });
});

Deno.test("mlt experiments against an http server, via MLFLOW_TRACKING_URI", async () => {
  const srv = await startRestServer();
  try {
    const env = { MLFLOW_TRACKING_URI: srv.url };
    const c = await mlt(["experiments", "create", "remote"], { env });
    assert.equal(c.code, 0, c.stderr);
    assert.equal((await srv.store.getExperimentByName("remote"))?.experimentId, idOf(c.stdout));
    const l = await mlt(["experiments", "list", "--json"], { env });
    assert.deepEqual(JSON.parse(l.stdout).map((e: { name: string }) => e.name).sort(), [
      "Default",
      "remote",
    ]);
    const missing = await mlt(["experiments", "describe", "999"], { env });
    assert.equal(missing.code, 1);
    assert.match(errorLine(missing), /^error: .*999/);
  } finally {
    await srv.close();
  }
});

Deno.test("mlt experiments: a server that is down or answers garbage is one error line", async () => {
  const down = await mlt([
    "experiments",
    "list",
    "--tracking-uri",
    `http://127.0.0.1:${closedPort()}`,
  ]);
  assert.equal(down.code, 1);
  assert.match(
    down.stderr,
    /^error: Cannot reach the tracking server at http:\/\/127\.0\.0\.1:\d+: .*\n$/,
  );
  const { server, url } = await listen(() => new Response("<html>not mlflow</html>"));
  try {
    const junk = await mlt(["experiments", "list", "--tracking-uri", url]);
    assert.equal(junk.code, 1);
    assert.match(junk.stderr, /^error: .* not JSON: .*is it an MLflow tracking server\?\n$/);
  } finally {
    await server.shutdown();
  }
});
