/** startServer() over a real socket: graceful stops, 503 while stopping, interrupted uploads. */
import assert from "node:assert/strict";
import { newRun, testApp } from "../../tests/helpers/api.ts";
import { manualBody } from "../../tests/helpers/body.ts";
import { startServer } from "./serve.ts";

const enc = new TextEncoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function listDir(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) out.push(e.name);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out.sort();
}

Deno.test("startServer() stop: an upload in flight finishes and is stored, newcomers get 503", async () => {
  const t = await testApp();
  const stopper = new AbortController();
  const server = await startServer((req, info) => t.app.fetch(req, info), {
    signal: stopper.signal,
  });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const upload = manualBody();
    upload.send("first half, ");
    const put = fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/0/slow.txt`, {
      method: "PUT",
      body: upload.body,
    });
    await sleep(100);
    stopper.abort(); // as SIGTERM does in `mlt server`
    await sleep(100);
    const late = await fetch(`${server.url}/health`);
    assert.equal(late.status, 503);
    assert.equal((await late.json()).error_code, "TEMPORARILY_UNAVAILABLE");
    upload.send("second half");
    upload.finish();
    const res = await put;
    assert.equal(res.status, 200, await res.text());
    await server.finished;
    assert.equal(await Deno.readTextFile(`${t.artifacts}/0/slow.txt`), "first half, second half");
    await assert.rejects(fetch(`${server.url}/health`));
  } finally {
    await server.stop();
    await t.close();
  }
});

Deno.test("startServer() stop gives up after its bound when a request never ends", async () => {
  const t = await testApp();
  const server = await startServer((req, info) => t.app.fetch(req, info), {
    stopTimeoutMs: 300,
  });
  const upload = manualBody();
  upload.send("never finished");
  const put = fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/0/stuck.txt`, {
    method: "PUT",
    body: upload.body,
  }).catch((e) => e);
  try {
    await sleep(100);
    const t0 = Date.now();
    await server.stop();
    await server.finished;
    assert.ok(Date.now() - t0 < 2000, "the stop is bounded");
    upload.finish();
    await put;
    assert.ok(!(await listDir(`${t.artifacts}/0`)).includes("stuck.txt"));
  } finally {
    await t.close();
  }
});

// Sends raw HTTP/1.1 bytes and closes the socket without waiting for an answer.
async function sendAndHangUp(port: number, head: string, body: string): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(enc.encode(head + body));
  await sleep(150);
  conn.close();
}

Deno.test("an upload whose client disconnects leaves neither a partial file nor a temp file", async () => {
  const t = await testApp();
  const server = await startServer((req, info) => t.app.fetch(req, info));
  try {
    const { expId, runId } = await newRun(t);
    const dir = `${t.artifacts}/${expId}/${runId}/artifacts`;
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(`${dir}/kept.txt`, "old content");
    const host = `Host: 127.0.0.1:${server.port}\r\n`;
    // Fewer bytes than Content-Length, then the connection drops: a new file and a replacement.
    for (const name of ["fresh.txt", "kept.txt"]) {
      await sendAndHangUp(
        server.port,
        `PUT /api/2.0/mlflow-artifacts/artifacts/${expId}/${runId}/artifacts/${name} HTTP/1.1\r\n` +
          `${host}Content-Length: 1000\r\n\r\n`,
        "x".repeat(100),
      );
    }
    // A chunked upload cut off mid-stream.
    await sendAndHangUp(
      server.port,
      `PUT /api/2.0/mlflow-artifacts/artifacts/${expId}/${runId}/artifacts/chunked.txt HTTP/1.1\r\n` +
        `${host}Transfer-Encoding: chunked\r\n\r\n`,
      "5\r\nhello\r\n",
    );
    // The UI's upload route, cut off too.
    await sendAndHangUp(
      server.port,
      `POST /ajax-api/2.0/mlflow/upload-artifact?run_uuid=${runId}&path=ui.txt HTTP/1.1\r\n` +
        `${host}Content-Type: text/plain\r\nContent-Length: 500\r\n\r\n`,
      "y".repeat(10),
    );
    await sleep(200);
    assert.deepEqual(await listDir(dir), ["kept.txt"], "only the old file remains");
    assert.equal(await Deno.readTextFile(`${dir}/kept.txt`), "old content");
    // The server is still healthy afterwards.
    assert.equal(await (await fetch(`${server.url}/health`)).text(), "OK");
  } finally {
    await server.stop();
    await t.close();
  }
});
