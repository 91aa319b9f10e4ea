/** Artifacts and the security middleware through `app.request()`: proxy, traversal, caps, Host, Origin. */
import assert from "node:assert/strict";
import { type Endpoint, SCHEMAS } from "../src/api/wire.ts";
import { LOGGED_MODEL_ROUTES } from "../src/api/wire_logged_models.ts";
import { newRun, testApp } from "./helpers/api.ts";

interface Field {
  type: unknown;
  required: boolean;
}

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
    sqlstate: "KAM00",
    error_class: "INVALID_PARAMETER_VALUE",
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
    // MLflow 3's artifact router answers an upload with an empty 200.
    assert.equal(await (await put("dir/b%20c.html", "<script>x</script>")).text(), "");

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
        sqlstate: "XXM00",
        error_class: "CLIENT_INTERNAL_ERROR",
      });
      assert.ok(!text.includes(t.dir));
    } finally {
      console.error = origError;
    }
  } finally {
    await t.close();
  }
});

// ------------------------------------------------------------------ bad input (security.md §5.1)

const GETS = new Set<Endpoint>([
  "experiments/get",
  "experiments/get-by-name",
  "runs/get",
  "artifacts/list",
  "metrics/get-history",
  "metrics/get-history-bulk-interval",
  "metrics/get-history-bulk",
  "mlflow-artifacts/list",
  "get-artifact",
  "registered-models/get",
  "registered-models/search",
  "registered-models/alias#GET",
  "model-versions/get",
  "model-versions/search",
  "model-versions/get-download-uri",
  "model-versions/get-artifact",
]);

// Endpoints that take their JSON body with another method than POST.
const METHODS: Partial<Record<Endpoint, string>> = {
  "registered-models/update": "PATCH",
  "model-versions/update": "PATCH",
  "registered-models/delete": "DELETE",
  "registered-models/delete-tag": "DELETE",
  "registered-models/alias#DELETE": "DELETE",
  "model-versions/delete": "DELETE",
  "model-versions/delete-tag": "DELETE",
};
// Logged-model routes carry the model id (and a tag key) in their path, which wins over the body.
const MODEL_ROUTES = LOGGED_MODEL_ROUTES as Partial<Record<Endpoint, readonly [string, string]>>;
const PATH_FIELDS = new Set(["model_id", "tag_key"]);

function methodOf(name: Endpoint): string {
  return MODEL_ROUTES[name]?.[0] ?? METHODS[name] ?? (GETS.has(name) ? "GET" : "POST");
}

function routeOf(name: Endpoint): string {
  const model = MODEL_ROUTES[name];
  if (model) {
    return "/api/2.0/mlflow" + model[1].replace(":model_id", "m-1").replace(":tag_key{.+}", "k");
  }
  if (name === "mlflow-artifacts/list") return "/api/2.0/mlflow-artifacts/artifacts";
  if (name.startsWith("mlflow-artifacts/mpu/")) return `/api/2.0/${name}/0/r/artifacts`;
  if (name === "get-artifact" || name === "model-versions/get-artifact") return `/${name}`;
  if (name.includes("#")) return `/api/2.0/mlflow/${name.split("#")[0]}`;
  if (name === "metrics/get-history-bulk" || name === "experiments/search-datasets") {
    return `/ajax-api/2.0/mlflow/${name}`;
  }
  return `/api/2.0/mlflow/${name}`;
}

// A valid value for a field, so each request gets past every field but the one under test.
function sample(field: string, type: unknown, ids: { expId: string; runId: string }): unknown {
  const byName: Record<string, unknown> = {
    run_id: ids.runId,
    experiment_id: ids.expId,
    experiment_ids: [ids.expId],
    run_ids: [ids.runId],
    name: `n-${crypto.randomUUID()}`,
    new_name: `r-${crypto.randomUUID()}`,
    experiment_name: "exp",
    metric_key: "m",
    path: "a.txt",
    timestamp: 1,
    model_json: JSON.stringify({
      artifact_path: "m",
      flavors: {},
      utc_time_created: "x",
      run_id: ids.runId,
    }),
    models: [{ model_id: "m-1" }],
    dataset: { name: "d", digest: "x", source_type: "local", source: "{}" },
  };
  if (field in byName) return byName[field];
  return type === "f64" ? 1 : type === "i64" ? 1 : "v";
}

const BIG = "__BIG_NUMBER__";
const BAD_VALUES: unknown[] = [{ a: 1 }, [1], true, BIG, 123456789012345678901234567890];

Deno.test("every field of every endpoint: wrong types and huge numbers are a 4xx, never a 5xx", async () => {
  const t = await testApp();
  try {
    const ids = await newRun(t);
    let checked = 0;
    for (const [name, schema] of Object.entries(SCHEMAS) as [Endpoint, Record<string, Field>][]) {
      const required = Object.entries(schema).filter(([, f]) => f.required);
      const base = Object.fromEntries(required.map(([k, f]) => [k, sample(k, f.type, ids)]));
      for (const [field, spec] of Object.entries(schema)) {
        if (MODEL_ROUTES[name] && PATH_FIELDS.has(field)) continue;
        if (methodOf(name) === "GET") {
          for (const bad of ["abc", "1.5", "99999999999999999999999", "-1", "", "x".repeat(5000)]) {
            const q = new URLSearchParams();
            for (const [k, v] of Object.entries({ ...base, [field]: bad })) {
              for (const x of Array.isArray(v) ? v : [v]) q.append(k, String(x));
            }
            const res = await t.app.request(`${routeOf(name)}?${q}`);
            assert.ok(res.status < 500, `${name} ${field}=${bad.slice(0, 20)}: ${res.status}`);
            if (res.status >= 400) assert.equal(typeof (await res.json()).error_code, "string");
            else await res.body?.cancel();
            checked++;
          }
          continue;
        }
        for (const bad of BAD_VALUES) {
          const text = JSON.stringify({ ...base, [field]: bad }).replace(`"${BIG}"`, "1e400");
          const res = await t.app.request(routeOf(name), {
            method: methodOf(name),
            headers: { "content-type": "application/json" },
            body: text,
          });
          const body = await res.json();
          const what = `${name} ${field}=${JSON.stringify(bad)}: ${res.status} ${body.message}`;
          // A double takes any JSON number (1e400 is Infinity, as in Python's json).
          if (
            spec.type === "f64" && typeof bad === "number" || bad === BIG && spec.type === "f64"
          ) {
            assert.ok(res.status < 500, what);
          } else {
            assert.equal(res.status, 400, what);
            assert.equal(body.error_code, "INVALID_PARAMETER_VALUE", what);
          }
          checked++;
        }
      }
    }
    assert.ok(checked > 300, `${checked} requests`);
  } finally {
    await t.close();
  }
});

Deno.test("deeply nested JSON is a quick 400: 100k `[`, nesting inside fields, double-encoded", async () => {
  const t = await testApp();
  try {
    const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
    const bodies = [
      "[".repeat(100_000),
      deep(100_000),
      `{"name": ${deep(100_000)}}`,
      `{"name": "x", "tags": [${'{"key":'.repeat(50_000)}"k"${"}".repeat(50_000)}]}`,
      JSON.stringify(`{"name": ${deep(100_000)}}`),
      `{"name": ${deep(5_000_000)}}`,
    ];
    for (const body of bodies) {
      const t0 = performance.now();
      const res = await t.post("experiments/create", body);
      const ms = performance.now() - t0;
      const text = await res.text();
      assert.equal(res.status, 400, body.slice(0, 30));
      assert.match(JSON.parse(text).message, /nested more than 100 levels/);
      assert.ok(ms < 1000, `${ms} ms for ${body.length} bytes`);
      assert.ok(text.length < 400, "the value is not echoed back");
    }
    // Nesting within the limit but of the wrong type: the message quotes a bounded preview.
    const res = await t.post("experiments/create", `{"name": ${deep(50)}}`);
    assert.equal(res.status, 400);
    assert.match((await res.json()).message, /^Invalid value \[\[\[\[.*for parameter 'name'/);
    const long = await t.post("experiments/create", { name: ["x".repeat(100_000)] });
    const message = (await long.json()).message as string;
    assert.ok(message.length < 500, `message of ${message.length} chars`);
  } finally {
    await t.close();
  }
});

const TOKENS = [
  "!!!",
  "abc",
  btoa("not json"),
  btoa('{"offset": -1}'),
  btoa('{"offset": 0}'),
  btoa('{"offset": "x"}'),
  btoa("[".repeat(700)),
  btoa("[".repeat(100_000)),
  "A".repeat(100_000),
];

Deno.test("bad max_results and page tokens on every search and history route are a 400", async () => {
  const t = await testApp();
  try {
    const { expId, runId } = await newRun(t);
    await t.call("runs/log-metric", { run_id: runId, key: "m", value: 1, timestamp: 1 });
    type Call = (extra: Record<string, string>) => Promise<Response>;
    const postJson = (path: string, base: Record<string, unknown>): Call => (extra) => {
      const body: Record<string, unknown> = { ...base };
      for (const [k, v] of Object.entries(extra)) body[k] = k === "max_results" ? JSON.parse(v) : v;
      return t.post(path, body);
    };
    const getQuery = (path: string, base: Record<string, string | string[]>): Call => (extra) =>
      t.get(path, { ...base, ...extra });
    const routes: [string, Call, boolean][] = [
      ["POST experiments/search", postJson("experiments/search", {}), true],
      ["GET experiments/search", getQuery("experiments/search", {}), true],
      ["POST runs/search", postJson("runs/search", { experiment_ids: [expId] }), true],
      ["GET runs/search", getQuery("runs/search", { experiment_ids: [expId] }), true],
      ["get-history", getQuery("metrics/get-history", { run_id: runId, metric_key: "m" }), true],
      [
        "get-history-bulk-interval",
        getQuery("metrics/get-history-bulk-interval", { run_ids: [runId], metric_key: "m" }),
        false,
      ],
      [
        "get-history-bulk",
        getQuery("/ajax-api/2.0/mlflow/metrics/get-history-bulk", {
          run_id: [runId],
          metric_key: "m",
        }),
        false,
      ],
    ];
    for (const [what, call, paged] of routes) {
      const post = what.startsWith("POST");
      // In JSON 1e3 is the integer 1000 (protobuf takes it); in a query it is no integer.
      for (
        const max of ["0", "-1", "1.5", '"ten"', "99999999999999999999", ...(post ? [] : ["1e3"])]
      ) {
        const v = post ? max : max.replace(/"/g, "");
        const res = await call({ max_results: v });
        const body = await res.json();
        assert.equal(res.status, 400, `${what} max_results=${max}: ${JSON.stringify(body)}`);
        assert.equal(body.error_code, "INVALID_PARAMETER_VALUE");
      }
      if (what.includes("search")) {
        const res = await call({ max_results: "50001" });
        assert.equal(res.status, 400, `${what} max_results=50001`);
        await res.body?.cancel();
      }
      if (!paged) continue;
      for (const token of TOKENS) {
        const t0 = performance.now();
        const res = await call({ page_token: token });
        const text = await res.text();
        assert.equal(res.status, 400, `${what} page_token=${token.slice(0, 20)}: ${text}`);
        assert.match(JSON.parse(text).message, /^Invalid page token/);
        assert.ok(text.length < 3000, "a forged token is not echoed in full");
        assert.ok(performance.now() - t0 < 500);
      }
    }
  } finally {
    await t.close();
  }
});

Deno.test("stored artifact pointers outside the roots are never followed (hand-edited stores)", async () => {
  const t = await testApp();
  // A listener that must stay silent: no request may make the server connect anywhere.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let connections = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      connections++;
      conn.close();
    }
  })();
  try {
    await Deno.mkdir(`${t.dir}/outside`, { recursive: true });
    await Deno.writeTextFile(`${t.dir}/outside/secret.txt`, "secret");
    const port = (listener.addr as Deno.NetAddr).port;
    const pointers = [
      `${t.dir}/outside`,
      `file://${t.dir}/outside`,
      `${t.dir}/mlruns/../outside`,
      `http://127.0.0.1:${port}/latest/`,
      `http://127.0.0.1:${port}/api/2.0/mlflow-artifacts/artifacts/../../outside`,
      "mlflow-artifacts:/../../outside",
      `file://127.0.0.1:${port}${t.dir}/outside`,
    ];
    for (const [i, loc] of pointers.entries()) {
      // Straight into the store, as a hand-edited meta.yaml would hold it.
      const expId = await t.store.createExperiment(`ptr${i}`, loc);
      const run = await t.store.createRun({ experimentId: expId });
      const runId = run.info.runId;
      const answers = [
        await t.get("artifacts/list", { run_id: runId }),
        await t.app.request(`/get-artifact?run_id=${runId}&path=secret.txt`),
        await t.app.request(`/ajax-api/2.0/mlflow/upload-artifact?run_uuid=${runId}&path=x.txt`, {
          method: "POST",
          body: "planted",
        }),
      ];
      for (const res of answers) {
        const text = await res.text();
        assert.equal(res.status, 400, `${loc}: ${text}`);
        assert.ok(!text.includes('secret"'), loc);
        assert.ok(!text.includes(t.dir), `no host path in ${text}`);
      }
    }
    const outside = [];
    for await (const e of Deno.readDir(`${t.dir}/outside`)) outside.push(e.name);
    assert.deepEqual(outside, ["secret.txt"], "nothing planted outside the roots");
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(connections, 0, "the server never connected to a stored URL");
  } finally {
    listener.close();
    await accepting.catch(() => {});
    await t.close();
  }
});

Deno.test("symlinks in a run's local artifact root: listed and read only inside the root", async () => {
  const t = await testApp();
  try {
    const loc = `${t.dir}/local/arts`;
    const exp = await t.call("experiments/create", { name: "links", artifact_location: loc });
    const created = await t.call("runs/create", { experiment_id: exp.json.experiment_id });
    // deno-lint-ignore no-explicit-any
    const runId = (created.json.run as any).info.run_id as string;
    const arts = `${loc}/${runId}/artifacts`;
    await Deno.mkdir(`${arts}/real`, { recursive: true });
    await Deno.writeTextFile(`${arts}/real/in.txt`, "inside");
    await Deno.writeTextFile(`${t.dir}/outside.txt`, "secret");
    await Deno.symlink(`${arts}/real`, `${arts}/alias`); // stays inside: allowed
    await Deno.symlink(t.dir, `${arts}/escape`);
    await Deno.symlink(`${t.dir}/outside.txt`, `${arts}/file-escape.txt`);
    await Deno.symlink(`${t.dir}/nowhere`, `${arts}/dangling`);
    const list = await (await t.get("artifacts/list", { run_id: runId })).json();
    assert.deepEqual(list.files.map((f: { path: string }) => f.path), ["alias", "real"]);
    const alias = await t.app.request(`/get-artifact?run_id=${runId}&path=alias/in.txt`);
    assert.equal(await alias.text(), "inside");
    for (const p of ["escape/outside.txt", "file-escape.txt", "dangling", "escape"]) {
      const get = await t.app.request(`/get-artifact?run_id=${runId}&path=${p}`);
      assert.equal(get.status, 400, `get ${p}`);
      assert.equal((await get.json()).message, "Invalid path");
      const ls = await t.get("artifacts/list", { run_id: runId, path: p });
      assert.equal(ls.status, 400, `list ${p}`);
      await ls.body?.cancel();
    }
    const up = await t.app.request(
      `/ajax-api/2.0/mlflow/upload-artifact?run_uuid=${runId}&path=escape/planted.txt`,
      { method: "POST", body: "x" },
    );
    assert.equal(up.status, 400);
    await up.body?.cancel();
    const entries = [];
    for await (const e of Deno.readDir(t.dir)) entries.push(e.name);
    assert.ok(!entries.includes("planted.txt"), "nothing written through the link");
    assert.equal(await Deno.readTextFile(`${t.dir}/outside.txt`), "secret");
  } finally {
    await t.close();
  }
});
