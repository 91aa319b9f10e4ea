/** Artifacts and the security middleware through `app.request()`: proxy, traversal, caps, Host, Origin. */
import assert from "node:assert/strict";
import { newRun, testApp } from "./helpers/api.ts";

const PROXY = "/api/2.0/mlflow-artifacts/artifacts";

const TRAVERSALS = [
  "../x",
  "a/../../x",
  "%2e%2e%2fx",
  "%2E%2E%2Fx",
  "%252e%252e%252fx",
  "%2%0952e%2%0952e/x",
  "x%00.txt",
  "..%5cx",
  "C:x",
  "%5c%5chost%5cx",
  "file:%2F%2F%2Fetc%2Fpasswd",
  "a%23/../../x",
  "a;/../../x",
  "%2Fetc%2Fpasswd",
];

async function expectInvalidPath(res: Response, what: string) {
  assert.equal(res.status, 400, what);
  assert.deepEqual(await res.json(), {
    error_code: "INVALID_PARAMETER_VALUE",
    message: "Invalid path",
  });
}

Deno.test("mlflow-artifacts proxy: PUT, GET, list, DELETE; run listing and /get-artifact", async () => {
  const t = await testApp();
  try {
    const { expId, runId } = await newRun(t);
    const base = `${PROXY}/${expId}/${runId}/artifacts`;
    const put = (p: string, body: string) =>
      t.app.request(`${base}/${p}`, {
        method: "PUT",
        body,
        headers: { "content-type": "text/plain" },
      });
    assert.equal((await put("a.txt", "hello")).status, 200);
    assert.deepEqual(await (await put("dir/b%20c.html", "<script>x</script>")).json(), {});

    const dl = await t.app.request(`${base}/dir/b%20c.html`);
    assert.equal(dl.status, 200);
    assert.equal(await dl.text(), "<script>x</script>");
    assert.match(dl.headers.get("content-disposition")!, /^attachment; filename="b c.html"/);
    assert.equal(dl.headers.get("x-content-type-options"), "nosniff");

    const list = await t.app.request(`${PROXY}?path=${expId}/${runId}/artifacts`);
    assert.deepEqual(await list.json(), {
      files: [{ path: "a.txt", is_dir: false, file_size: 5 }, { path: "dir", is_dir: true }],
    });
    const runList = await (await t.get("artifacts/list", { run_id: runId, path: "dir" })).json();
    assert.equal(runList.root_uri, `mlflow-artifacts:/${expId}/${runId}/artifacts`);
    assert.deepEqual(runList.files, [{ path: "dir/b c.html", is_dir: false, file_size: 18 }]);

    const one = await t.app.request(`/get-artifact?run_id=${runId}&path=a.txt`);
    assert.equal(await one.text(), "hello");
    assert.match(one.headers.get("content-disposition")!, /^attachment/);
    const dirDl = await t.app.request(`/get-artifact?run_id=${runId}&path=dir`);
    assert.equal(dirDl.status, 400);
    await dirDl.body?.cancel();
    const absent = await t.app.request(`${base}/nope.txt`);
    assert.equal(absent.status, 404);
    await absent.body?.cancel();

    const del = await t.app.request(`${base}/dir`, { method: "DELETE" });
    assert.deepEqual(await del.json(), {});
    const after = await (await t.get("artifacts/list", { run_id: runId })).json();
    assert.deepEqual(after.files, [{ path: "a.txt", is_dir: false, file_size: 5 }]);
    // PUT below an existing file, and DELETE of the root, are client mistakes.
    assert.equal((await put("a.txt/x", "y")).status, 400);
    const root = await t.app.request(`${PROXY}/`, { method: "DELETE" });
    assert.equal(root.status, 400);
    await root.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("every path-taking route refuses each traversal spelling with 400 Invalid path", async () => {
  const t = await testApp();
  try {
    const { runId } = await newRun(t);
    const canary = `${t.dir}/canary.txt`;
    await Deno.writeTextFile(canary, "secret");
    for (const p of TRAVERSALS) {
      // Literal "../" in a URL path is resolved by the URL parser before routing: it leaves the
      // proxy's routes and gets a 404, which is just as safe.
      const inPath = p.includes("../")
        ? async (res: Response, what: string) => {
          assert.equal(res.status, 404, what);
          await res.body?.cancel();
        }
        : expectInvalidPath;
      await inPath(await t.app.request(`${PROXY}/${p}`), `GET ${p}`);
      await inPath(await t.app.request(`${PROXY}/${p}`, { method: "PUT", body: "x" }), `PUT ${p}`);
      await inPath(
        await t.app.request(`${PROXY}/${p}`, { method: "DELETE" }),
        `DELETE ${p}`,
      );
      await expectInvalidPath(await t.app.request(`${PROXY}?path=${p}`), `list ${p}`);
      await expectInvalidPath(
        await t.app.request(`/get-artifact?run_id=${runId}&path=${p}`),
        `get-artifact ${p}`,
      );
      await expectInvalidPath(
        await t.app.request(`/api/2.0/mlflow/artifacts/list?run_id=${runId}&path=${p}`),
        `artifacts/list ${p}`,
      );
    }
    // In a URL path a backslash is a slash to the URL parser; in a query it reaches the validator.
    await expectInvalidPath(await t.app.request(`${PROXY}?path=a\\b`), "backslash");
    assert.equal(await Deno.readTextFile(canary), "secret");
    const entries = [];
    for await (const e of Deno.readDir(t.dir)) entries.push(e.name);
    assert.deepEqual(entries.sort(), ["canary.txt", "mlruns"], "nothing written outside the store");
  } finally {
    await t.close();
  }
});

Deno.test("symlinks in the artifact root never lead outside it", async () => {
  const t = await testApp();
  try {
    await Deno.mkdir(`${t.artifacts}/d`, { recursive: true });
    await Deno.writeTextFile(`${t.dir}/outside.txt`, "secret");
    await Deno.symlink(t.dir, `${t.artifacts}/d/escape`);
    await Deno.symlink(`${t.dir}/nowhere`, `${t.artifacts}/d/dangling`);
    await expectInvalidPath(
      await t.app.request(`${PROXY}/d/escape/outside.txt`),
      "GET through link",
    );
    await expectInvalidPath(await t.app.request(`${PROXY}?path=d/escape`), "list through link");
    await expectInvalidPath(
      await t.app.request(`${PROXY}/d/escape`, { method: "DELETE" }),
      "DELETE link",
    );
    await expectInvalidPath(await t.app.request(`${PROXY}/d/dangling`), "dangling link");
    const list = await (await t.app.request(`${PROXY}?path=d`)).json();
    assert.deepEqual(list, {}, "links leading out are not listed");
    assert.equal(await Deno.readTextFile(`${t.dir}/outside.txt`), "secret");
  } finally {
    await t.close();
  }
});

Deno.test("body caps answer 413: JSON by Content-Length, uploads by length and by stream", async () => {
  const t = await testApp({ maxJsonBytes: 1000, maxArtifactBytes: 100 });
  try {
    const big = await t.post("experiments/create", { name: "x".repeat(2000) });
    assert.equal(big.status, 413);
    assert.equal((await big.json()).error_code, "RESOURCE_EXHAUSTED");
    const byLength = await t.app.request(`${PROXY}/0/big.bin`, {
      method: "PUT",
      body: "x".repeat(101),
    });
    assert.equal(byLength.status, 413);
    await byLength.body?.cancel();
    const chunks = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 5; i++) c.enqueue(new Uint8Array(40));
        c.close();
      },
    });
    const streamed = await t.app.request(`${PROXY}/0/stream.bin`, { method: "PUT", body: chunks });
    assert.equal(streamed.status, 413);
    await streamed.body?.cancel();
    const left = [];
    for await (const e of Deno.readDir(`${t.artifacts}/0`)) left.push(e.name);
    assert.deepEqual(left, [], "no temp file and no partial upload remain");
  } finally {
    await t.close();
  }
});

Deno.test("security: Host allow-list, Origin check, JSON-only POST, headers", async () => {
  const t = await testApp({
    security: { allowedHosts: ["mlflow.internal:*"], corsAllowedOrigins: ["https://ok.example"] },
  });
  try {
    const search = (headers: Record<string, string>) =>
      t.app.request("/api/2.0/mlflow/experiments/search", { headers });
    const evil = await search({ host: "evil.example" });
    assert.equal(evil.status, 403);
    assert.match((await evil.json()).message, /DNS rebinding/);
    for (const host of ["localhost:5000", "127.0.0.1", "[::1]:80", "mlflow.internal:8080"]) {
      const r = await search({ host });
      assert.equal(r.status, 200, host);
      assert.equal(r.headers.get("x-frame-options"), "SAMEORIGIN");
      assert.equal(r.headers.get("x-content-type-options"), "nosniff");
      await r.body?.cancel();
    }
    const health = await t.app.request("/health", { headers: { host: "evil.example" } });
    assert.equal(await health.text(), "OK");

    const create = (origin?: string, name = "o") =>
      t.post("experiments/create", { name }, origin ? { origin } : {});
    const cross = await create("https://evil.example");
    assert.equal(cross.status, 403);
    assert.equal((await cross.json()).message, "Cross-origin request blocked");
    const nullOrigin = await create("null");
    assert.equal(nullOrigin.status, 403);
    await nullOrigin.body?.cancel();
    const put = await t.app.request(`${PROXY}/0/x.txt`, {
      method: "PUT",
      body: "x",
      headers: { origin: "https://evil.example" },
    });
    assert.equal(put.status, 403);
    await put.body?.cancel();
    assert.equal((await create(undefined, "a")).status, 200);
    assert.equal((await create("http://localhost:3000", "b")).status, 200);
    const listed = await create("https://ok.example", "c");
    assert.equal(listed.status, 200);
    assert.equal(listed.headers.get("access-control-allow-origin"), "https://ok.example");
    await listed.body?.cancel();
    const preflight = await t.app.request("/api/2.0/mlflow/runs/create", {
      method: "OPTIONS",
      headers: { origin: "https://ok.example", "access-control-request-method": "POST" },
    });
    assert.equal(preflight.status, 204);

    const noType = await t.app.request("/api/2.0/mlflow/experiments/create", {
      method: "POST",
      body: "{}",
    });
    // A string body gets text/plain from fetch; a bare Uint8Array gets no content type at all.
    assert.equal(
      (await noType.json()).message,
      "Bad Request. Content-Type must be one of ['application/json'].",
    );
    const none = await t.app.request("/api/2.0/mlflow/experiments/create", {
      method: "POST",
      body: new TextEncoder().encode('{"name":"n"}'),
    });
    assert.equal((await none.json()).message, "Bad Request. Content-Type header is missing.");
  } finally {
    await t.close();
  }
});

Deno.test("routing: 404 JSON, 405, /version, server-info, artifacts-only, no-serve-artifacts, prefix", async () => {
  const t = await testApp({ version: "9.9.9", staticPrefix: "/mlt" });
  const only = await testApp({ artifactsOnly: true });
  const noProxy = await testApp({ serveArtifacts: false });
  try {
    const missing = await t.app.request("/api/2.0/mlflow/nope");
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error_code, "ENDPOINT_NOT_FOUND");
    const wrong = await t.app.request("/api/2.0/mlflow/runs/create");
    assert.equal(wrong.status, 405);
    await wrong.body?.cancel();
    assert.equal(await (await t.app.request("/mlt/version")).text(), "9.9.9");
    const prefixed = await t.app.request("/mlt/ajax-api/2.0/mlflow/experiments/search", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(prefixed.status, 200);
    await prefixed.body?.cancel();
    const info = await (await t.app.request("/api/3.0/mlflow/server-info")).json();
    assert.equal(info.multipart_uploads_enabled, false);

    const tracking = await only.post("experiments/create", { name: "x" });
    assert.equal(tracking.status, 503);
    await tracking.body?.cancel();
    const proxied = await only.app.request(`${PROXY}/a.txt`, { method: "PUT", body: "a" });
    assert.equal(proxied.status, 200);
    await proxied.body?.cancel();
    const off = await noProxy.app.request(`${PROXY}/a.txt`, { method: "PUT", body: "a" });
    assert.equal(off.status, 503);
    await off.body?.cancel();
  } finally {
    await t.close();
    await only.close();
    await noProxy.close();
  }
});

Deno.test("an unexpected failure is a JSON 500 without a stack or host path", async () => {
  const t = await testApp();
  try {
    const { runId } = await newRun(t);
    const broken = Object.create(t.store);
    broken.getRun = () => Promise.reject(new Error(`boom at ${t.dir}/secret`));
    const { createApp } = await import("../src/api/app.ts");
    const app = createApp({ store: broken, artifactsDestination: t.artifacts });
    const origError = console.error;
    console.error = () => {};
    try {
      const r = await app.request(`/api/2.0/mlflow/runs/get?run_id=${runId}`);
      assert.equal(r.status, 500);
      const text = await r.text();
      assert.deepEqual(JSON.parse(text), {
        error_code: "INTERNAL_ERROR",
        message: "Internal server error",
      });
      assert.ok(!text.includes(t.dir));
    } finally {
      console.error = origError;
    }
  } finally {
    await t.close();
  }
});
