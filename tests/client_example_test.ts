/**
 * examples/deno-train through `mlt run`: a TypeScript training loop logging with mlt's client
 * into the run the runner created — in a file store, and through an `mlt` server.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Run } from "../src/model.ts";
import { openStore } from "../src/store/open.ts";
import type { TrackingStore } from "../src/store/store.ts";
import { startRestServer } from "./helpers/rest_server.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const EXAMPLE = new URL("../examples/deno-train", import.meta.url).pathname;

async function mltRun(cwd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "run", EXAMPLE, ...args],
    cwd,
    stdin: "null",
    env: { NO_COLOR: "1", MLFLOW_TRACKING_URI: "", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function onlyRun(store: TrackingStore): Promise<Run> {
  const runs = (await store.searchRuns({ experimentIds: ["0"], viewType: "ALL" })).items;
  assert.equal(runs.length, 1);
  return runs[0];
}

async function checkTraining(
  store: TrackingStore,
  run: Run,
  epochs: number,
  lr = "0.3",
): Promise<void> {
  assert.equal(run.info.status, "FINISHED");
  assert.ok(run.info.endTime! >= run.info.startTime!);
  assert.equal(run.info.runName, `logreg-lr${lr}`);
  const params = Object.fromEntries(run.data.params.map((p) => [p.key, p.value]));
  assert.deepEqual(params, { epochs: String(epochs), lr, samples: "400", seed: "7" });
  assert.equal(run.data.tags.find((t) => t.key === "model")?.value, "logistic-regression");
  assert.equal(run.data.tags.find((t) => t.key === "mlflow.source.type")?.value, "PROJECT");
  const loss = (await store.getMetricHistory(run.info.runId, "loss")).items;
  assert.deepEqual(loss.map((m) => m.step), Array.from({ length: epochs }, (_, i) => i));
  assert.ok(Math.abs(loss[0].value - Math.log(2)) < 1e-9, `first loss ${loss[0].value}`);
  for (let i = 1; i < loss.length; i++) assert.ok(loss[i].value < loss[i - 1].value);
  const acc = (await store.getMetricHistory(run.info.runId, "accuracy")).items;
  assert.equal(acc.length, epochs);
  assert.ok(acc.at(-1)!.value > 0.85, `final accuracy ${acc.at(-1)!.value}`);
}

Deno.test("examples/deno-train under `mlt run` logs params and per-epoch metrics", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-deno-train-" }));
  const store = openStore(join(dir, "mlruns"), { warn: () => {} });
  try {
    // "1.0", not "1": the script logs the params as given, as mlt run already logged them.
    const r = await mltRun(dir, ["-P", "epochs=12", "-P", "lr=1.0", "--no-system-metrics"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /epoch 11: loss/);
    const run = await onlyRun(store);
    await checkTraining(store, run, 12, "1.0");
    const weights = join(dir, "mlruns", "0", run.info.runId, "artifacts", "model/weights.json");
    const model = JSON.parse(await Deno.readTextFile(weights));
    assert.equal(model.w.length, 2);
    assert.ok(model.w[0] > 0 && model.w[1] > 0, JSON.stringify(model));
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("examples/deno-train logs through an `mlt` server and its artifact proxy", async () => {
  const srv = await startRestServer();
  const dir = await Deno.makeTempDir({ prefix: "mlt-deno-train-" });
  try {
    const r = await mltRun(dir, [
      "--tracking-uri",
      srv.url,
      "-P",
      "epochs=6",
      "-P",
      "lr=0.3",
      "--no-system-metrics",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const run = await onlyRun(srv.store);
    await checkTraining(srv.store, run, 6);
    assert.match(run.info.artifactUri, /^mlflow-artifacts:/);
    const weights = join(srv.artifacts, "0", run.info.runId, "artifacts", "model/weights.json");
    assert.equal(JSON.parse(await Deno.readTextFile(weights)).w.length, 2);
  } finally {
    await srv.close();
    await Deno.remove(dir, { recursive: true });
  }
});
