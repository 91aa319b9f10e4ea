/** A REST app over a temp-dir file store, and request helpers, for tests that use `app.request()`. */
import type { Hono } from "hono";
import { type AppOptions, createApp, type Routes } from "../../src/api/app.ts";
import { FileRegistryStore } from "../../src/store/file/registry_store.ts";
import { openStore } from "../../src/store/open.ts";
import type { TrackingStore } from "../../src/store/store.ts";

/** A test app with its store and directories; `close()` removes everything. */
export interface TestApp {
  app: Hono;
  store: TrackingStore;
  dir: string;
  artifacts: string;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  get(path: string, params?: Record<string, string | string[]>): Promise<Response>;
  /** POSTs and returns the parsed JSON, asserting nothing. */
  call(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** Query string with repeated keys for list values. */
export function query(params: Record<string, string | string[]>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    for (const x of Array.isArray(v) ? v : [v]) q.append(k, x);
  }
  return q.toString();
}

/**
 * Opens a file store in a temp dir and builds the app over it (proxy on, `mlflow-artifacts:/`);
 * with `routes`, the API's routes are mounted at once instead of on the first request.
 */
export async function testApp(opts: Partial<AppOptions> = {}, routes?: Routes): Promise<TestApp> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-api-" }));
  const artifacts = `${dir}/mlartifacts`;
  const store = openStore(`${dir}/mlruns`, { artifactRoot: "mlflow-artifacts:/" });
  const app = createApp({
    store,
    registry: new FileRegistryStore(`${dir}/mlruns`),
    artifactsDestination: artifacts,
    localArtifactRoots: [`${dir}/mlruns`, `${dir}/local`],
    ...opts,
  }, routes);
  const api = (p: string) => (p.startsWith("/") ? p : `/api/2.0/mlflow/${p}`);
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    Promise.resolve(app.request(api(path), {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }));
  const get = (path: string, params: Record<string, string | string[]> = {}) => {
    const q = query(params);
    return Promise.resolve(app.request(api(path) + (q ? `?${q}` : "")));
  };
  return {
    app,
    store,
    dir,
    artifacts,
    post,
    get,
    async call(path, body) {
      const res = await post(path, body);
      return { status: res.status, json: await res.json() };
    },
    async close() {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Creates an experiment and a run in it; returns their ids. */
export async function newRun(t: TestApp, name = "exp"): Promise<{ expId: string; runId: string }> {
  const e = await t.call("experiments/create", { name });
  const r = await t.call("runs/create", { experiment_id: e.json.experiment_id, start_time: 1000 });
  // deno-lint-ignore no-explicit-any
  return { expId: e.json.experiment_id as string, runId: (r.json.run as any).info.run_id };
}
