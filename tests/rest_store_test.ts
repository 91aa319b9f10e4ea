/**
 * The REST store: the shared contract against a real `mlt` REST app on a real socket over a temp
 * file store, plus what only an HTTP store has: retries, auth headers, servers that are down,
 * slow or answer garbage.
 */
import assert from "node:assert/strict";
import { MltError } from "../src/errors.ts";
import { openStore } from "../src/store/open.ts";
import { RestStore } from "../src/store/rest/rest_store.ts";
import { httpOptionsFromEnv } from "../src/store/store.ts";
import { listen, startRestServer } from "./helpers/rest_server.ts";
import { FILE_INPUT_ORDER, rejectsWith, storeContract } from "./store_contract.ts";

const NO_WIRE_DELETED_TIME = "MLflow's RunInfo has no deleted_time on the wire; " +
  "covered without it below";

storeContract("rest", async () => {
  const srv = await startRestServer();
  const store = new RestStore(srv.url, { http: { maxRetries: 1, backoffMs: 5 } });
  return { store, cleanup: () => srv.close() };
}, {
  "deletedRunIds() and hard deletes": "MLflow's REST API has no endpoint for permanent deletion",
  "deleteExperiment() and restoreExperiment() carry the runs along": NO_WIRE_DELETED_TIME,
  "deleted runs refuse every mutation but can be read and restored": NO_WIRE_DELETED_TIME,
  ...FILE_INPUT_ORDER,
});

async function withServer(fn: (s: RestStore, url: string) => Promise<void>): Promise<void> {
  const srv = await startRestServer();
  try {
    await fn(new RestStore(srv.url, { http: { maxRetries: 0 } }), srv.url);
  } finally {
    await srv.close();
  }
}

Deno.test("RestStore: deleting and restoring an experiment carries its runs along", async () => {
  await withServer(async (s) => {
    const id = await s.createExperiment("d");
    const r1 = (await s.createRun({ experimentId: id })).info.runId;
    await s.deleteExperiment(id);
    assert.equal((await s.getExperiment(id)).lifecycleStage, "deleted");
    assert.equal((await s.getRun(r1)).info.lifecycleStage, "deleted");
    await s.restoreExperiment(id);
    assert.equal((await s.getRun(r1)).info.lifecycleStage, "active");
  });
});

Deno.test("RestStore: a deleted run refuses logging, can be read and restored", async () => {
  await withServer(async (s) => {
    const id = (await s.createRun({})).info.runId;
    await s.deleteRun(id);
    assert.equal((await s.getRun(id)).info.lifecycleStage, "deleted");
    await rejectsWith(
      s.logParam(id, { key: "p", value: "1" }),
      "INVALID_PARAMETER_VALUE",
      "active",
    );
    await s.restoreRun(id);
    await s.logParam(id, { key: "p", value: "1" });
    assert.deepEqual((await s.getRun(id)).data.params, [{ key: "p", value: "1" }]);
  });
});

Deno.test("RestStore: permanent deletion is NOT_IMPLEMENTED with a clear message", async () => {
  await withServer(async (s) => {
    await rejectsWith(s.deletedRunIds(), "NOT_IMPLEMENTED", "no endpoint");
    await rejectsWith(s.hardDeleteRun("abc"), "NOT_IMPLEMENTED", "backend store");
    await rejectsWith(s.hardDeleteExperiment("1"), "NOT_IMPLEMENTED");
  });
});

Deno.test("openStore() opens http(s) URIs as a RestStore and refuses bad ones", () => {
  const s = openStore("http://127.0.0.1:5000/", {});
  assert.ok(s instanceof RestStore);
  assert.equal(s.uri, "http://127.0.0.1:5000");
  assert.equal(openStore("https://example.com/mlflow").uri, "https://example.com/mlflow");
  assert.throws(() => openStore("http://"), (e) => e instanceof MltError);
});

Deno.test("RestStore: a server that is down is one clear error after bounded retries", async () => {
  // A port that was just free: nothing listens there.
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const s = new RestStore(`http://127.0.0.1:${port}`, { http: { maxRetries: 2, backoffMs: 10 } });
  const t0 = Date.now();
  const e = await rejectsWith(s.getRun("abc"), "TEMPORARILY_UNAVAILABLE", "Cannot reach");
  assert.match(e.message, /3 attempts/);
  assert.ok(Date.now() - t0 < 5000);
});

Deno.test("RestStore: retries 503 and 429, then succeeds; never retries INVALID_STATE", async () => {
  let failures = 0;
  const seen: string[] = [];
  const srv = await startRestServer({
    wrap: (app) => async (req) => {
      seen.push(new URL(req.url).pathname);
      if (failures < 2) {
        failures++;
        return failures === 1
          ? new Response("busy", { status: 503 })
          : new Response("{}", { status: 429, headers: { "retry-after": "0" } });
      }
      return await app(req);
    },
  });
  try {
    const s = new RestStore(srv.url, { http: { maxRetries: 3, backoffMs: 5 } });
    const id = await s.createExperiment("retried");
    assert.equal((await s.getExperiment(id)).name, "retried");
    assert.equal(seen.filter((p) => p.endsWith("experiments/create")).length, 3);
    await s.deleteExperiment(id);
    const before = seen.length;
    await rejectsWith(s.createRun({ experimentId: id }), "INVALID_STATE");
    assert.equal(seen.length - before, 1);
  } finally {
    await srv.close();
  }
});

Deno.test("RestStore: answers that are not MLflow's are one clear error", async () => {
  const { server, url } = await listen((req) => {
    const path = new URL(req.url).pathname;
    if (path.endsWith("runs/get")) return Response.json({ something: "else" });
    if (path.endsWith("experiments/get")) return new Response("<html>hello</html>");
    if (path.endsWith("experiments/search")) return Response.json([1, 2]);
    return new Response("<h1>Not Found</h1>", { status: 404 });
  });
  try {
    const s = new RestStore(url, { http: { maxRetries: 0 } });
    const run = await rejectsWith(s.getRun("abc"), "INTERNAL_ERROR", 'no object "run"');
    assert.match(run.message, /is it an MLflow tracking server\?/);
    await rejectsWith(s.getExperiment("1"), "INTERNAL_ERROR", "not JSON");
    await rejectsWith(s.searchExperiments({}), "INTERNAL_ERROR", "not an object");
    await rejectsWith(s.deleteRun("abc"), "ENDPOINT_NOT_FOUND", "HTTP 404");
  } finally {
    await server.shutdown();
  }
});

Deno.test("RestStore: a server that does not answer times out", async () => {
  let release!: () => void;
  const hold = new Promise<void>((r) => release = r);
  const { server, url } = await listen(async () => {
    await hold;
    return Response.json({});
  });
  try {
    const s = new RestStore(url, { http: { maxRetries: 0, timeoutMs: 150 } });
    await rejectsWith(s.deleteRun("abc"), "DEADLINE_EXCEEDED", "did not answer");
  } finally {
    release();
    await server.shutdown();
  }
});

Deno.test("RestStore: sends basic auth or a bearer token from MLflow's variables", async () => {
  const auth: (string | null)[] = [];
  const { server, url } = await listen((req) => {
    auth.push(req.headers.get("authorization"));
    return Response.json({ error_code: "UNAUTHENTICATED", message: "who are you?" }, {
      status: 401,
    });
  });
  try {
    const env = (vars: Record<string, string>) => (n: string) => vars[n];
    const basic = httpOptionsFromEnv(
      env({
        MLFLOW_TRACKING_USERNAME: "ann",
        MLFLOW_TRACKING_PASSWORD: "pw",
        MLFLOW_TRACKING_TOKEN: "t",
      }),
    );
    await rejectsWith(new RestStore(url, { http: basic }).getRun("a"), "UNAUTHENTICATED", "who");
    const bearer = httpOptionsFromEnv(env({ MLFLOW_TRACKING_TOKEN: "tok" }));
    await rejectsWith(new RestStore(url, { http: bearer }).getRun("a"), "UNAUTHENTICATED");
    assert.deepEqual(auth, [`Basic ${btoa("ann:pw")}`, "Bearer tok"]);
    const retry = httpOptionsFromEnv(env({
      MLFLOW_HTTP_REQUEST_MAX_RETRIES: "2",
      MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: "0.5",
      MLFLOW_HTTP_REQUEST_TIMEOUT: "x",
    }));
    assert.deepEqual(retry, { maxRetries: 2, backoffMs: 500 });
  } finally {
    await server.shutdown();
  }
});
