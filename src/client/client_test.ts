/** MlflowClient against a temp-dir file store and against a real `mlt` server on a socket. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startRestServer } from "../../tests/helpers/rest_server.ts";
import { MltError } from "../errors.ts";
import { MlflowClient } from "./mod.ts";

type Target = { uri: string; artifactsOnDisk: (runId: string, expId: string) => string };

function onBoth(name: string, fn: (c: MlflowClient, t: Target) => Promise<void>): void {
  Deno.test(`MlflowClient (file store): ${name}`, async () => {
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-client-" }));
    const c = new MlflowClient({ trackingUri: join(dir, "mlruns") });
    try {
      await fn(c, {
        uri: c.trackingUri,
        artifactsOnDisk: (run, exp) => join(dir, "mlruns", exp, run, "artifacts"),
      });
    } finally {
      await c.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
  Deno.test(`MlflowClient (server): ${name}`, async () => {
    const srv = await startRestServer();
    const c = new MlflowClient({ trackingUri: srv.url, http: { maxRetries: 0 } });
    try {
      await fn(c, {
        uri: srv.url,
        artifactsOnDisk: (run, exp) => join(srv.artifacts, exp, run, "artifacts"),
      });
    } finally {
      await c.close();
      await srv.close();
    }
  });
}

onBoth("experiments, runs, metrics, params, tags and search", async (c) => {
  const exp = await c.createExperiment("client", { tags: { team: "ml" } });
  assert.equal((await c.getExperimentByName("client"))?.experimentId, exp);
  assert.deepEqual((await c.getExperiment(exp)).tags, [{ key: "team", value: "ml" }]);
  assert.equal(await c.getExperimentByName("nope"), undefined);
  const run = await c.createRun(exp, { runName: "r1", tags: { k: "v" } });
  const id = run.info.runId;
  assert.equal(run.info.runName, "r1");
  await c.logParam(id, "lr", 0.5);
  await c.setTag(id, "stage", "dev");
  await c.logMetric(id, "acc", 0.5, 1000, 0);
  await c.logMetric(id, "acc", 0.75, 1001, 1);
  const many = Array.from({ length: 1500 }, (_, i) => ({
    key: "loss",
    value: 1 / (i + 1),
    timestamp: 2000 + i,
    step: i,
  }));
  await c.logBatch(id, { metrics: many, params: [{ key: "epochs", value: "3" }] });
  assert.equal((await c.getMetricHistory(id, "loss")).length, 1500);
  assert.deepEqual((await c.getMetricHistory(id, "acc")).map((m) => m.value), [0.5, 0.75]);
  await c.setTerminated(id, "FINISHED");
  const got = await c.getRun(id);
  assert.equal(got.info.status, "FINISHED");
  assert.ok(got.info.endTime);
  assert.deepEqual(got.data.params.map((p) => p.key).sort(), ["epochs", "lr"]);
  const found = await c.searchRuns([exp], { filterString: "metrics.acc > 0.7" });
  assert.deepEqual(found.items.map((r) => r.info.runId), [id]);
  await c.deleteRun(id);
  assert.deepEqual((await c.searchRuns([exp])).items, []);
  await c.restoreRun(id);
  await c.renameExperiment(exp, "client2");
  assert.equal((await c.getExperiment(exp)).name, "client2");
  await assert.rejects(c.getRun("0123456789abcdef0123456789abcdef"), MltError);
});

onBoth("artifacts: log a file, a directory, text and dicts; list and download", async (c, t) => {
  const exp = await c.createExperiment("arts");
  const id = (await c.createRun(exp)).info.runId;
  const src = await Deno.makeTempDir({ prefix: "mlt-client-src-" });
  try {
    await Deno.writeTextFile(join(src, "model.txt"), "weights");
    await Deno.mkdir(join(src, "dir/sub"), { recursive: true });
    await Deno.writeTextFile(join(src, "dir/a.txt"), "a");
    await Deno.writeTextFile(join(src, "dir/sub/b.txt"), "b");
    await c.logArtifact(id, join(src, "model.txt"));
    await c.logArtifact(id, join(src, "model.txt"), "models/v1");
    await c.logArtifacts(id, join(src, "dir"), "data");
    await c.logText(id, "hello\n", "notes/readme.txt");
    await c.logDict(id, { a: 1, b: [1, 2] }, "config.json");
    await c.logDict(id, { a: 1 }, "config.yaml");
    await assert.rejects(c.logArtifact(id, join(src, "dir")), /use logArtifacts/);
    await assert.rejects(c.logText(id, "x", "../escape.txt"), /Invalid artifact path/);
    const disk = t.artifactsOnDisk(id, exp);
    assert.equal(await Deno.readTextFile(join(disk, "notes/readme.txt")), "hello\n");
    assert.deepEqual(JSON.parse(await Deno.readTextFile(join(disk, "config.json"))), {
      a: 1,
      b: [1, 2],
    });
    assert.equal(await Deno.readTextFile(join(disk, "config.yaml")), "a: 1\n");
    const top = await c.listArtifacts(id);
    assert.deepEqual(top.map((e) => [e.path, e.isDir]), [
      ["config.json", false],
      ["config.yaml", false],
      ["data", true],
      ["model.txt", false],
      ["models", true],
      ["notes", true],
    ]);
    assert.equal(top.find((e) => e.path === "model.txt")?.size, 7);
    assert.deepEqual((await c.listArtifacts(id, "data")).map((e) => e.path), [
      "data/a.txt",
      "data/sub",
    ]);
    const out = await Deno.makeTempDir({ prefix: "mlt-client-out-" });
    try {
      const local = await c.downloadArtifacts(id, "data", out);
      assert.equal(local, join(out, "data"));
      assert.equal(await Deno.readTextFile(join(out, "data/sub/b.txt")), "b");
      const one = await c.downloadArtifacts(id, "models/v1/model.txt", out);
      assert.equal(await Deno.readTextFile(one), "weights");
      await assert.rejects(c.downloadArtifacts(id, "nope.txt", out), /No artifact "nope.txt"/);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  } finally {
    await Deno.remove(src, { recursive: true });
  }
});

Deno.test("MlflowClient: mlflow-artifacts: URIs need an http(s) tracking URI", async () => {
  const srv = await startRestServer();
  try {
    const remote = new MlflowClient({ trackingUri: srv.url });
    const id = (await remote.createRun("0")).info.runId;
    // The server's store, opened directly: its runs point at mlflow-artifacts:/…
    const local = new MlflowClient({ store: srv.store });
    await assert.rejects(local.logText(id, "x", "a.txt"), /need an http\(s\) tracking URI/);
  } finally {
    await srv.close();
  }
});
