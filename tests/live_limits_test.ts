/**
 * The UI's live streams under hostile clients, over a real socket (issue 13, item 5): bounded
 * streams per client, streams of unknown run ids that end by themselves, hang-ups noticed at once.
 */
import assert from "node:assert/strict";
import { startServer } from "../src/api/serve.ts";
import { mountUi } from "../ui/app.ts";
import { LIVE_LIMITS } from "../ui/live.ts";
import { newRun, testApp } from "./helpers/api.ts";

const unknownIds = Array.from({ length: 1000 }, (_, i) => i.toString(16).padStart(32, "0"));

async function withUiServer(
  fn: (
    url: string,
    ui: ReturnType<typeof mountUi>,
    t: Awaited<ReturnType<typeof testApp>>,
  ) => Promise<void>,
): Promise<void> {
  const t = await testApp();
  const ui = mountUi(t.app, { store: t.store });
  const server = await startServer((req, info) => t.app.fetch(req, info));
  try {
    await fn(server.url, ui, t);
  } finally {
    ui.close();
    await server.stop();
    await t.close();
  }
}

// Reads a stream to its end, giving up after `ms`; true when the server ended it.
async function endsWithin(body: ReadableStream<Uint8Array>, ms: number): Promise<boolean> {
  const reader = body.getReader();
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const r = await Promise.race([
      reader.read(),
      new Promise<"wait">((ok) => timer = setTimeout(() => ok("wait"), deadline - Date.now())),
    ]);
    clearTimeout(timer);
    if (r === "wait") break;
    if (r.done) return true;
  }
  await reader.cancel();
  return false;
}

Deno.test("live streams: one client gets a bounded number; 1,000 unknown ids end their stream", async () => {
  await withUiServer(async (url, ui) => {
    const src = `${url}/_mlt/live/statuses?runs=${unknownIds.join(",")}`;
    const client = Deno.createHttpClient({});
    const opened = await Promise.all(
      Array.from({ length: LIVE_LIMITS.perClient + 4 }, () => fetch(src, { client })),
    );
    const statuses = opened.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, LIVE_LIMITS.perClient);
    assert.equal(statuses.filter((s) => s === 429).length, 4);
    for (const r of opened.filter((r) => r.status === 429)) {
      assert.equal((await r.json()).error_code, "REQUEST_LIMIT_EXCEEDED");
    }
    // None of the ids names a run: each stream ends after one look instead of polling forever.
    const ended = await Promise.all(
      opened.filter((r) => r.status === 200).map((r) => endsWithin(r.body!, 10_000)),
    );
    assert.ok(ended.every(Boolean), `${ended.filter((e) => !e).length} streams still open`);
    assert.equal(ui.liveStreams(), 0);
    client.close();
  });
});

Deno.test("live streams: a client that hangs up is dropped at once, not at the next write", async () => {
  await withUiServer(async (url, ui, t) => {
    const { runId } = await newRun(t);
    await t.store.updateRun({ runId, status: "FINISHED", endTime: 2000 });
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(new URL(url).port) });
    await conn.write(new TextEncoder().encode(
      `GET /_mlt/live/statuses?runs=${runId} HTTP/1.1\r\nHost: localhost\r\n\r\n`,
    ));
    const buf = new Uint8Array(4096);
    const n = await conn.read(buf);
    assert.match(new TextDecoder().decode(buf.subarray(0, n ?? 0)), /^HTTP\/1\.1 200/);
    assert.equal(ui.liveStreams(), 1);
    conn.close();
    // A finished run's stream writes only a ping every 30 polls (15 s): the hang-up alone must
    // free it.
    for (let i = 0; i < 100 && ui.liveStreams() > 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(ui.liveStreams(), 0);
  });
});
