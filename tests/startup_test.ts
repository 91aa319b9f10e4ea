/**
 * What `mlt server` defers until first use (docs/startup.md): the API's routes (app.ts loads
 * routes.ts on the first request under an API path) and a registry on the tracking store's own
 * SQLite database (lazy_registry.ts). Deferred or not, the answers must be the same.
 */
import assert from "node:assert/strict";
import { createApp } from "../src/api/app.ts";
import { searchSummary } from "../src/cli/server_banner.ts";
import { loadRegistryStore } from "../src/store/open_registry.ts";
import { reportsPool } from "../src/store/pool_stats.ts";
import { SqliteStore } from "../src/store/sqlite/sqlite_store.ts";
import { testApp } from "./helpers/api.ts";
import { startMltServer } from "./helpers/mlt_server.ts";

Deno.test("lazily mounted routes answer as mounted ones: errors, 404s, other paths", async () => {
  const t = await testApp();
  try {
    const eager = createApp({
      store: t.store,
      artifactsDestination: t.artifacts,
    }, await import("../src/api/routes.ts"));
    const requests: [string, RequestInit?][] = [
      ["/health"],
      ["/api/2.0/mlflow/experiments/get?experiment_id=0"],
      ["/api/2.0/mlflow/experiments/get?experiment_id=not-a-number"],
      ["/api/2.0/mlflow/no-such-endpoint"],
      ["/ajax-api/2.0/mlflow/experiments/search", { method: "POST", body: "{}" }],
      ["/api/2.0/mlflow/runs/create", { method: "POST", body: "not json" }],
      ["/get-artifact?path=x&run_uuid=nope"],
      ["/no-such-page"],
      ["/api/3.0/mlflow/server-info"],
    ];
    for (const [path, init] of requests) {
      const headers = { "content-type": "application/json" };
      const lazy = await t.app.request(path, { ...init, headers });
      const mounted = await eager.request(path, { ...init, headers });
      assert.equal(lazy.status, mounted.status, path);
      assert.equal(await lazy.text(), await mounted.text(), path);
      assert.equal(lazy.headers.get("content-type"), mounted.headers.get("content-type"), path);
      assert.equal(lazy.headers.get("x-mlt-version"), mounted.headers.get("x-mlt-version"), path);
    }
    const missing = await t.app.request("/api/2.0/mlflow/no-such-endpoint");
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error_code, "ENDPOINT_NOT_FOUND");
  } finally {
    await t.close();
  }
});

Deno.test("a registry on the tracking store's SQLite file loads on its first call", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-startup-" });
  const uri = `sqlite:///${dir}/mlflow.db`;
  const store = new SqliteStore(uri);
  try {
    const registry = await loadRegistryStore(undefined, {}, store);
    assert.equal(registry.uri, uri);
    // The deferred registry is no pool: /metrics must not take it for one.
    assert.equal(reportsPool(registry), false);
    await registry.createRegisteredModel("m", [{ key: "k", value: "v" }], "about m");
    const got = await registry.getRegisteredModel("m");
    assert.equal(got.name, "m");
    assert.equal(got.description, "about m");
    await assert.rejects(() => registry.getRegisteredModel("absent"), /absent/);
    await registry.close();
    // Closing it left the tracking store's shared connections open.
    assert.equal((await store.getExperiment("0")).name, "Default");
    const unused = await loadRegistryStore(undefined, {}, store);
    await unused.close(); // never loaded: nothing to close
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--auth basic: after a signed-in request loads a module, anonymous ones are still 401", async () => {
  // A real server process and socket: the async context a lazy import() leaves behind (see
  // auth.ts) only shows where Deno itself calls the handler.
  const dir = await Deno.makeTempDir({ prefix: "mlt-startup-auth-" });
  const server = await startMltServer(dir, [], {
    MLT_AUTH: "basic",
    MLT_AUTH_USERS: "alice:alice-pw",
    MLT_HOME: dir,
  });
  try {
    const alice = { authorization: "Basic " + btoa("alice:alice-pw") };
    const get = async (path: string, headers: Record<string, string> = {}) => {
      const res = await fetch(server.url + path, { headers });
      await res.body?.cancel();
      return res.status;
    };
    // Each first request loads modules (the API's routes, the UI) while serving alice.
    assert.equal(await get("/api/2.0/mlflow/experiments/get?experiment_id=0", alice), 200);
    assert.equal(await get("/", alice), 200);
    for (const path of ["/version", "/api/2.0/mlflow/experiments/get?experiment_id=0", "/"]) {
      assert.equal(await get(path), 401, path);
    }
  } finally {
    server.child.kill("SIGTERM");
    await server.child.status;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a SQLite store's start summary counts as the banner's searches do", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-startup-summary-" });
  const store = new SqliteStore(`sqlite:///${dir}/mlflow.db`);
  try {
    const agree = async (expected: { experiments: number; hasRuns: boolean }) => {
      assert.deepEqual(await store.summary(), expected);
      assert.deepEqual(await searchSummary(store), expected);
    };
    await agree({ experiments: 1, hasRuns: false }); // the Default experiment
    const gone = await store.createExperiment("gone");
    await store.createRun({ experimentId: gone });
    await store.deleteExperiment(gone);
    await agree({ experiments: 1, hasRuns: false }); // runs of deleted experiments do not count
    const kept = await store.createExperiment("kept");
    const run = await store.createRun({ experimentId: kept });
    await store.deleteRun(run.info.runId);
    await agree({ experiments: 2, hasRuns: true }); // a deleted run of an active one does
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
