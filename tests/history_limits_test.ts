/**
 * Metric history requests that could stall or exhaust the server (issue 13, item 3): repeated run
 * ids, get-history without max_results, and a long scan that must leave /health answering.
 */
import assert from "node:assert/strict";
import { startServer } from "../src/api/serve.ts";
import { newRun, query, type TestApp, testApp } from "./helpers/api.ts";

// Appends `n` points (step i, value i) of metric "m" straight to the run's FileStore file.
async function seed(t: TestApp, expId: string, runId: string, n: number): Promise<void> {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(`${1000 + i} ${i} ${i}\n`);
  await Deno.writeTextFile(`${t.dir}/mlruns/${expId}/${runId}/metrics/m`, lines.join(""), {
    append: true,
  });
}

Deno.test("metrics/get-history without max_results pages by 25,000 with a next_page_token", async () => {
  const t = await testApp();
  try {
    const { expId, runId } = await newRun(t);
    await seed(t, expId, runId, 26_000);
    const first = await (await t.get("metrics/get-history", { run_id: runId, metric_key: "m" }))
      .json();
    assert.equal(first.metrics.length, 25_000);
    assert.equal(typeof first.next_page_token, "string");
    const rest = await (await t.get("metrics/get-history", {
      run_id: runId,
      metric_key: "m",
      page_token: first.next_page_token,
    })).json();
    assert.equal(rest.metrics.length, 1_000);
    assert.equal(rest.metrics[999].step, 25_999);
    assert.equal(rest.next_page_token, undefined);
  } finally {
    await t.close();
  }
});

Deno.test("get-history-bulk(-interval) reads a run named 100 times once", async () => {
  const t = await testApp();
  try {
    const { expId, runId } = await newRun(t);
    await seed(t, expId, runId, 3_000);
    for (
      const [endpoint, ids, extra, points] of [
        ["metrics/get-history-bulk-interval", "run_ids", {}, 2_500],
        ["metrics/get-history-bulk", "run_id", {}, 3_000],
        ["metrics/get-history-bulk-interval", "run_ids", { start_step: "10", end_step: "19" }, 10],
      ] as const
    ) {
      const res = await t.get(
        `/ajax-api/2.0/mlflow/${endpoint}?` +
          query({ [ids]: Array(100).fill(runId), metric_key: "m", ...extra }),
      );
      const body = await res.json();
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.equal(body.metrics.length, points, endpoint);
      assert.ok(body.metrics.every((m: { run_id: string }) => m.run_id === runId));
    }
  } finally {
    await t.close();
  }
});

Deno.test("/health answers while get-history-bulk-interval scans a 200,000-point history", async () => {
  const t = await testApp();
  const server = await startServer((req, info) => t.app.fetch(req, info));
  try {
    const { expId, runId } = await newRun(t);
    await seed(t, expId, runId, 200_000);
    let done = false;
    const bulk = fetch(
      `${server.url}/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?` +
        query({ run_ids: Array(10).fill(runId), metric_key: "m" }),
    ).then(async (r) => {
      const body = await r.json();
      done = true;
      return body;
    });
    let answered = 0;
    const client = Deno.createHttpClient({});
    while (!done) {
      const res = await fetch(`${server.url}/health`, { client });
      await res.body?.cancel();
      if (!done && res.status === 200) answered++;
    }
    client.close();
    assert.ok(answered >= 10, `only ${answered} health probes were answered during the scan`);
    assert.equal((await bulk).metrics.length, 2_500);
  } finally {
    await server.stop();
    await t.close();
  }
});
