import assert from "node:assert/strict";
import { MltError } from "../errors.ts";
import type { Metric } from "../model.ts";
import { openStore } from "../store/open.ts";
import { RestStore } from "../store/rest/rest_store.ts";
import type { TrackingStore } from "../store/store.ts";
import { startRestServer } from "../../tests/helpers/rest_server.ts";
import { Batcher, chunkBatch } from "./batcher.ts";

const point = (i: number): Metric => ({ key: "m", value: i, timestamp: 1000 + i, step: i });

async function withFileStore(fn: (s: TrackingStore, runId: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "mlt-batcher-" });
  const store = openStore(`${dir}/mlruns`, { warn: () => {} });
  try {
    await fn(store, (await store.createRun({})).info.runId);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("chunkBatch() keeps every item, in order, within MLflow's limits", () => {
  const metrics = Array.from({ length: 2500 }, (_, i) => point(i));
  const params = Array.from({ length: 250 }, (_, i) => ({ key: `p${i}`, value: "v" }));
  const tags = Array.from({ length: 150 }, (_, i) => ({ key: `t${i}`, value: "v" }));
  const batches = chunkBatch({ metrics, params, tags });
  for (const b of batches) {
    const [m, p, t] = [b.metrics?.length ?? 0, b.params?.length ?? 0, b.tags?.length ?? 0];
    assert.ok(m <= 1000 && p <= 100 && t <= 100 && m + p + t <= 1000, `${m} ${p} ${t}`);
  }
  assert.deepEqual(batches.flatMap((b) => b.metrics ?? []), metrics);
  assert.deepEqual(batches.flatMap((b) => b.params ?? []), params);
  assert.deepEqual(batches.flatMap((b) => b.tags ?? []), tags);
  assert.deepEqual(chunkBatch({}), []);
});

Deno.test("Batcher sends 2500 points in logging order and dedupes params and tags", async () => {
  await withFileStore(async (store, runId) => {
    const b = new Batcher(store, runId, { intervalMs: 0 });
    for (let i = 0; i < 2500; i++) b.addMetric(point(i));
    b.addParam({ key: "lr", value: "0.1" });
    b.addParam({ key: "lr", value: "0.1" });
    b.addTag({ key: "t", value: "1" });
    b.addTag({ key: "t", value: "2" });
    assert.throws(() => b.addParam({ key: "lr", value: "0.2" }), /Changing param values/);
    assert.throws(() => b.addMetric({ key: "../x", value: 1, timestamp: 1, step: 0 }), MltError);
    await b.flush();
    assert.deepEqual(b.pending(), { metrics: 0, params: 0, tags: 0 });
    const hist = (await store.getMetricHistory(runId, "m")).items;
    assert.deepEqual(hist.map((m) => m.value), Array.from({ length: 2500 }, (_, i) => i));
    const run = await store.getRun(runId);
    assert.deepEqual(run.data.params, [{ key: "lr", value: "0.1" }]);
    assert.equal(run.data.tags.find((t) => t.key === "t")?.value, "2");
    // Sent params are remembered: a changed value is still refused without asking the store.
    assert.throws(() => b.addParam({ key: "lr", value: "0.3" }), /Changing param values/);
    b.close();
    assert.throws(() => b.addMetric(point(1)), /has ended/);
  });
});

Deno.test("Batcher: a refused param does not take the batch's metrics with it", async () => {
  await withFileStore(async (store, runId) => {
    await store.logParam(runId, { key: "seed", value: "1" }); // another writer got there first
    const b = new Batcher(store, runId, { intervalMs: 0 });
    b.addParam({ key: "seed", value: "2" });
    b.addMetric(point(0));
    b.addTag({ key: "ok", value: "yes" });
    await assert.rejects(b.flush(), (e: unknown) => {
      assert.ok(e instanceof MltError);
      assert.match(e.message, /1 param of run .* were refused: .*Changing param values/);
      return true;
    });
    assert.deepEqual(b.pending(), { metrics: 0, params: 0, tags: 0 });
    const run = await store.getRun(runId);
    assert.deepEqual(run.data.metrics.map((m) => m.value), [0]);
    assert.equal(run.data.tags.find((t) => t.key === "ok")?.value, "yes");
    await b.flush(); // the error was raised once
    b.close();
  });
});

Deno.test("Batcher keeps points queued while the server is unavailable", async () => {
  let down = true;
  const srv = await startRestServer({
    wrap: (app) => async (req) =>
      down && req.url.endsWith("log-batch")
        ? new Response("maintenance", { status: 503 })
        : await app(req),
  });
  try {
    const store = new RestStore(srv.url, { http: { maxRetries: 1, backoffMs: 1 } });
    const runId = (await store.createRun({})).info.runId;
    const b = new Batcher(store, runId, { intervalMs: 0 });
    for (let i = 0; i < 5; i++) b.addMetric(point(i));
    await assert.rejects(b.flush(), /5 metric points of run .* could not be sent yet.*HTTP 503/);
    assert.deepEqual(b.pending(), { metrics: 5, params: 0, tags: 0 });
    assert.equal(b.describePending(), "5 metric points");
    down = false;
    b.addMetric(point(5));
    await b.flush();
    const hist = (await store.getMetricHistory(runId, "m")).items;
    assert.deepEqual(hist.map((m) => m.value), [0, 1, 2, 3, 4, 5]);
    b.close();
  } finally {
    await srv.close();
  }
});

Deno.test("Batcher sends in the background on its interval", async () => {
  await withFileStore(async (store, runId) => {
    const b = new Batcher(store, runId, { intervalMs: 20 });
    b.addMetric(point(7));
    const until = Date.now() + 3000;
    while (b.pending().metrics > 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.deepEqual((await store.getRun(runId)).data.metrics.map((m) => m.value), [7]);
    b.close();
  });
});
