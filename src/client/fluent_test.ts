/**
 * The fluent API in real processes (its state and exit hooks are per process): scripts import
 * mod.ts, log, and exit in different ways; the test reads the store they wrote.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startRestServer } from "../../tests/helpers/rest_server.ts";
import type { Run } from "../model.ts";
import { openStore } from "../store/open.ts";
import type { TrackingStore } from "../store/store.ts";

const MOD = new URL("./mod.ts", import.meta.url).href;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

async function script(dir: string, body: string, env: Record<string, string>) {
  const path = join(dir, `s${crypto.randomUUID().slice(0, 6)}.ts`);
  await Deno.writeTextFile(path, `import * as mlt from "${MOD}";\n${body}\n`);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", CONFIG, path],
    cwd: dir,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function withDir(fn: (dir: string, store: TrackingStore, uri: string) => Promise<void>) {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-fluent-" }));
  const uri = join(dir, "mlruns");
  const store = openStore(uri, { warn: () => {} });
  try {
    await fn(dir, store, uri);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const onlyRun = async (s: TrackingStore, expName: string) => {
  const exp = await s.getExperimentByName(expName);
  assert.ok(exp, `experiment ${expName}`);
  const runs = (await s.searchRuns({ experimentIds: [exp.experimentId] })).items;
  assert.equal(runs.length, 1);
  return runs[0];
};

Deno.test("fluent: a script that never calls endRun still has its run ended and sent", async () => {
  await withDir(async (dir, store, uri) => {
    const r = await script(
      dir,
      `const run = await mlt.startRun({ runName: "r1", tags: { team: "ml" }, description: "d" });
mlt.logParams({ lr: 0.1, layers: 3 });
for (let i = 0; i < 1200; i++) mlt.logMetric("loss", 1 / (i + 1), i);
mlt.logMetrics({ acc: 0.9, f1: 0.8 }, { step: 5, timestamp: 42 });
mlt.setTags({ stage: "dev" });
await mlt.logText("hi", "notes.txt");
console.log(run.runId);`,
      { MLFLOW_TRACKING_URI: uri, MLFLOW_EXPERIMENT_NAME: "fluent" },
    );
    assert.equal(r.code, 0, r.stderr);
    const run = await onlyRun(store, "fluent");
    assert.equal(run.info.runId, r.stdout.trim());
    assert.equal(run.info.status, "FINISHED");
    assert.equal(run.info.runName, "r1");
    const tag = (k: string) => run.data.tags.find((t) => t.key === k)?.value;
    assert.deepEqual([tag("team"), tag("stage"), tag("mlflow.note.content")], ["ml", "dev", "d"]);
    assert.equal(tag("mlflow.source.type"), "LOCAL");
    assert.match(tag("mlflow.source.name") ?? "", /\.ts$/);
    assert.deepEqual(run.data.params.map((p) => `${p.key}=${p.value}`).sort(), [
      "layers=3",
      "lr=0.1",
    ]);
    assert.equal((await store.getMetricHistory(run.info.runId, "loss")).items.length, 1200);
    const acc = (await store.getMetricHistory(run.info.runId, "acc")).items[0];
    assert.deepEqual([acc.value, acc.step, acc.timestamp], [0.9, 5, 42]);
    const art = join(dir, "mlruns", run.info.experimentId, run.info.runId, "artifacts");
    assert.equal(await Deno.readTextFile(join(art, "notes.txt")), "hi");
  });
});

Deno.test("fluent: startRun resumes MLFLOW_RUN_ID, as under `mlt run`", async () => {
  await withDir(async (dir, store, uri) => {
    const exp = await store.createExperiment("given");
    const id = (await store.createRun({ experimentId: exp })).info.runId;
    const r = await script(
      dir,
      `const run = await mlt.startRun({ experimentName: "ignored-when-resuming" });
mlt.logMetric("m", 1, 0);
await mlt.endRun("KILLED");
const next = await mlt.startRun();
next.logParam("x", 1);
await next.end();
console.log(next.runId);`,
      { MLFLOW_TRACKING_URI: uri, MLFLOW_RUN_ID: id },
    );
    assert.equal(r.code, 0, r.stderr);
    const run = await store.getRun(id);
    assert.equal(run.info.status, "KILLED");
    assert.deepEqual(run.data.metrics.map((m) => m.value), [1]);
    // Context tags are only for new runs.
    assert.equal(run.data.tags.find((t) => t.key === "mlflow.source.type"), undefined);
    assert.equal(await store.getExperimentByName("ignored-when-resuming"), undefined);
    // MLFLOW_RUN_ID is resumed once; the next run is new, in the default experiment.
    const next = await store.getRun(r.stdout.trim());
    assert.notEqual(next.info.runId, id);
    assert.deepEqual(next.data.params, [{ key: "x", value: "1" }]);
  });
});

Deno.test("fluent: nested runs, experiment choice and misuse", async () => {
  await withDir(async (dir, store, uri) => {
    const r = await script(
      dir,
      `await mlt.setExperiment("chosen");
const parent = await mlt.startRun({ runName: "parent" });
let refused = "";
try { await mlt.startRun(); } catch (e) { refused = e.message; }
const child = await mlt.startRun({ nested: true, runName: "child" });
mlt.logMetric("only-child", 1);
await mlt.endRun();
mlt.logMetric("parent-metric", 2);
await mlt.endRun("FAILED");
let noRun = "";
try { mlt.logMetric("x", 1); } catch (e) { noRun = e.message; }
console.log(JSON.stringify({ refused, noRun, parent: parent.runId, child: child.runId }));`,
      { MLFLOW_TRACKING_URI: uri, MLFLOW_EXPERIMENT_ID: "123" },
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.match(out.refused, /already active.*nested: true/);
    assert.match(out.noRun, /No active run/);
    const exp = await store.getExperimentByName("chosen");
    const runs = (await store.searchRuns({ experimentIds: [exp!.experimentId] })).items;
    const byName: Record<string, Run> = Object.fromEntries(runs.map((x) => [x.info.runName, x]));
    assert.equal(byName.parent.info.status, "FAILED");
    assert.equal(byName.child.info.status, "FINISHED");
    const parentTag = byName.child.data.tags.find((t) => t.key === "mlflow.parentRunId");
    assert.equal(parentTag?.value, out.parent);
    assert.deepEqual(byName.child.data.metrics.map((m) => m.key), ["only-child"]);
    assert.deepEqual(byName.parent.data.metrics.map((m) => m.key), ["parent-metric"]);
  });
});

Deno.test("fluent: Deno.exit() before endRun reports what was not logged", async () => {
  await withDir(async (dir, _store, uri) => {
    const r = await script(
      dir,
      `await mlt.startRun();
mlt.logMetric("m", 1);
mlt.logParam("p", "v");
Deno.exit(0);`,
      { MLFLOW_TRACKING_URI: uri },
    );
    assert.equal(r.code, 0);
    assert.match(r.stderr, /mlt client: run \w+: 1 metric point, 1 param were not logged/);
    assert.match(r.stderr, /was not ended by the script/);
  });
});

Deno.test("fluent: points the server refuses to take are reported and fail the script", async () => {
  const srv = await startRestServer({
    wrap: (app) => async (req) =>
      req.url.endsWith("log-batch") ? new Response("down", { status: 503 }) : await app(req),
  });
  const dir = await Deno.makeTempDir({ prefix: "mlt-fluent-" });
  try {
    const r = await script(
      dir,
      `const run = await mlt.startRun({ experimentName: "e" });
mlt.logMetric("m", 1);
console.log(run.runId);`,
      { MLFLOW_TRACKING_URI: srv.url, MLFLOW_HTTP_REQUEST_MAX_RETRIES: "1" },
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /mlt client: run \w+: Logging to run \w+ failed: 1 metric point/);
    assert.match(r.stderr, /1 metric point were not logged/);
    const run = await srv.store.getRun(r.stdout.trim());
    assert.equal(run.info.status, "FAILED");
  } finally {
    await srv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fluent: a script that sets a failing exit code ends its open run FAILED", async () => {
  await withDir(async (dir, store, uri) => {
    const r = await script(
      dir,
      `const run = await mlt.startRun();
mlt.logMetric("m", 1);
Deno.exitCode = 4;
console.log(run.runId);`,
      { MLFLOW_TRACKING_URI: uri },
    );
    assert.equal(r.code, 4, r.stderr);
    const run = await store.getRun(r.stdout.trim());
    assert.equal(run.info.status, "FAILED");
    assert.deepEqual(run.data.metrics.map((m) => m.value), [1]);
  });
});
