/** A UI over a real temp-dir store with two runs, requested through `app.request()`. */
import type { Hono } from "hono";
import { createApp } from "../../src/api/app.ts";
import { openStore } from "../../src/store/open.ts";
import type { TrackingStore } from "../../src/store/store.ts";
import { mountUi, type Ui } from "../../ui/app.ts";
import type { ChartBudget } from "../../ui/data.ts";

/** Text that would run if a page failed to escape it. */
export const EVIL = `<script>alert(1)</script>"><img src=x onerror=alert(2)>`;
/** When the fixture's runs start. */
export const T0 = Date.UTC(2024, 0, 1);

/** The fixture: the app, its store, an experiment and two runs, and request helpers. */
export interface Fixture {
  app: Hono;
  ui: Ui;
  store: TrackingStore;
  dir: string;
  exp: string;
  a: string;
  b: string;
  get(path: string): Promise<{ status: number; text: string; res: Response }>;
  post(
    path: string,
    form: Record<string, string | string[]>,
    headers?: HeadersInit,
  ): Promise<Response>;
  close(): Promise<void>;
}

/** Builds the fixture (a store URI other than a temp mlruns may be given). */
export async function fixture(
  staticPrefix = "",
  extra: { chartBudget?: ChartBudget; uri?: (dir: string) => string } = {},
): Promise<Fixture> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-ui-" }));
  const store = openStore(extra.uri?.(dir) ?? `${dir}/mlruns`);
  const app = createApp({
    store,
    artifactsDestination: `${dir}/mlartifacts`,
    localArtifactRoots: [`${dir}/mlruns`],
    staticPrefix: staticPrefix || undefined,
  });
  const ui = mountUi(app, { store, staticPrefix, pollMs: 20, ...extra });
  const exp = await store.createExperiment("seed-exp");
  const mk = async (name: string, param: string, n: number) => {
    const run = await store.createRun({ experimentId: exp, runName: name, startTime: T0 });
    await store.logParam(run.info.runId, { key: "test_param", value: param });
    for (let step = 0; step < n; step++) {
      await store.logMetric(run.info.runId, {
        key: "test_metric",
        value: step * Number(param),
        timestamp: T0 + step,
        step,
      });
    }
    await store.updateRun({ runId: run.info.runId, status: "FINISHED", endTime: T0 + 5000 });
    return run.info.runId;
  };
  const a = await mk("run-a", "100", 10);
  const b = await mk("run-b", "200", 5);
  const get = async (path: string) => {
    const res = await app.request(path);
    return { status: res.status, text: await res.text(), res };
  };
  const post = (
    path: string,
    form: Record<string, string | string[]>,
    headers: HeadersInit = {},
  ) => {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const x of [v].flat()) body.append(k, x);
    return Promise.resolve(app.request(path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body,
    }));
  };
  return {
    app,
    ui,
    store,
    dir,
    exp,
    a,
    b,
    get,
    post,
    async close() {
      ui.close();
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Headers of a same-origin form post. */
export const SAME = { origin: "http://localhost", host: "localhost" };

/** Four runs of an experiment "sweep" in two groups of a param g: flat losses 1 and 3 (g = a),
 * 10 and 20 (g = b), and a system metric. */
export async function sweep(f: Fixture) {
  const exp = await f.store.createExperiment("sweep");
  const ids: string[] = [];
  for (const [i, [g, v]] of ([["a", 1], ["a", 3], ["b", 10], ["b", 20]] as const).entries()) {
    const run = await f.store.createRun({ experimentId: exp, runName: `r${i}`, startTime: T0 + i });
    const id = run.info.runId;
    await f.store.logParam(id, { key: "g", value: g });
    await f.store.logBatch(id, {
      metrics: [
        ...Array.from(
          { length: 21 },
          (_, s) => ({ key: "loss", value: v, timestamp: T0 + s, step: s }),
        ),
        { key: "system/cpu_utilization_percentage", value: 50, timestamp: T0, step: 0 },
      ],
    });
    ids.push(id);
  }
  return { exp, ids };
}
