import assert from "node:assert/strict";
import { manualBody } from "../../tests/helpers/body.ts";
import { openStore } from "../store/open.ts";
import { startTrackingEndpoint } from "./run_endpoint.ts";

Deno.test("startTrackingEndpoint() serves the store and lets in-flight requests finish", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-endpoint-test-" });
  const store = openStore(`${dir}/mlruns`);
  try {
    const run = await store.createRun({ experimentId: "0", startTime: 1 });
    const runId = run.info.runId;
    const ep = await startTrackingEndpoint(store, dir);
    assert.match(ep.uri, /^http:\/\/127\.0\.0\.1:\d+$/);
    const get = await fetch(`${ep.uri}/api/2.0/mlflow/runs/get?run_id=${runId}`);
    assert.equal(get.status, 200);
    assert.equal((await get.json()).run.info.run_id, runId);

    // A request still sending its body when the stop begins.
    const { body, send, finish } = manualBody();
    send(`{"run_id": "${runId}", `);
    const slow = fetch(`${ep.uri}/api/2.0/mlflow/runs/log-metric`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    await new Promise((r) => setTimeout(r, 100));
    const stopped = ep.stop();
    await new Promise((r) => setTimeout(r, 100));
    send(`"key": "m", "value": 1.5, "timestamp": 2, "step": 0}`);
    finish();
    const res = await slow;
    assert.equal(res.status, 200, await res.text());
    await stopped;
    assert.equal((await store.getRun(runId)).data.metrics[0]?.value, 1.5);
    await assert.rejects(fetch(`${ep.uri}/health`));
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
