/**
 * The web UI's routes: load data through TrackingStore (with data.ts), render a pure page, answer
 * HTML. Mounted on the REST app (mountUi) so the Host/Origin middleware covers every UI route,
 * and artifacts are read through that app's own REST routes; the experiment, runs and artifact
 * routes live in their own modules. ui/ never imports a store implementation, src/api internals,
 * or the filesystem.
 */
import { type Context, Hono } from "hono";
import { h } from "preact";
import { MltError } from "../src/errors.ts";
import { type Page, type Run, TAG } from "../src/model.ts";
import type { ModelRegistryStore } from "../src/store/registry.ts";
import type { TrackingStore } from "../src/store/store.ts";
import { isRunId } from "../src/validate.ts";
import { actionRoutes } from "./actions.ts";
import { artifactRoutes, loadArtifactTree } from "./artifact_tree.ts";
import { type ArtifactAccess, loadOutput, restArtifacts } from "./artifact_view.ts";
import { ASSET_VERSION, assetResponse } from "./assets.ts";
import { Artifacts } from "./components/artifacts.tsx";
import type { ChartItem } from "./components/chart.tsx";
import type { ChartView } from "./components/chart_controls.tsx";
import { Datasets } from "./components/datasets.tsx";
import type { MetricSummary } from "./components/metrics.tsx";
import {
  allExperiments,
  budgetedCharts,
  CHART_BUDGET,
  type ChartBudget,
  checkRunId,
  metricChart,
  SMALL,
  viewQuery,
} from "./data.ts";
import { experimentRoutes } from "./experiment_routes.ts";
import { RunLoggedModels } from "./components/logged_models.tsx";
import { modelActionRoutes } from "./models_actions.ts";
import { modelRoutes, runLoggedModels } from "./models_routes.ts";
import { LiveHub, MAX_LIVE_IDS, runSig, runTicker, sseResponse, statusTicker } from "./live.ts";
import { ErrorPage } from "./pages/error.tsx";
import { HomePage } from "./pages/home.tsx";
import {
  ChildRuns,
  Output,
  Overview,
  Params,
  RunDescription,
  RunMetrics,
  RunPage,
  type RunSection,
  Tags,
} from "./pages/run.tsx";
import { Recent } from "./recent.ts";
import { htmlResponse, Slot, streamResponse } from "./render.ts";
import { chartView, runsRoutes } from "./runs_routes.ts";
import { CHART_CACHE_BYTES, SERIES_CACHE_BYTES, SeriesCache, SizedCache } from "./series_cache.ts";
import type { BuiltChart } from "./chart_build.ts";
import { type Urls, urls } from "./urls.ts";

export type { ArtifactAccess };

/** Options of the UI. */
export interface UiOptions {
  store: TrackingStore;
  /** The model registry (the registry pages and forms; without it they say there is none). */
  registry?: ModelRegistryStore;
  /** The server's `--static-prefix` ("" or "/x"). */
  prefix?: string;
  artifacts?: ArtifactAccess;
  /** How often live streams poll the store (ms; default 500). */
  pollMs?: number;
  /** Clock for durations (tests). */
  now?: () => number;
  /** How many points pages draw on the server before deferring charts (default CHART_BUDGET). */
  chartBudget?: ChartBudget;
  /** Bytes of reduced metric series kept between requests (default SERIES_CACHE_BYTES). */
  seriesCacheBytes?: number;
}

/** The UI app and a way to end its live streams. */
export interface Ui {
  app: Hono;
  /** Ends every open live stream (call before shutting the server down). */
  close(): void;
  /** Live streams open now. */
  liveStreams(): number;
}

// Who opened a live stream, and when its connection ends (Deno's handler info, when served).
function streamClient(c: Context): { client?: string; done?: Promise<unknown> } {
  const info = c.env as Partial<Deno.ServeHandlerInfo<Deno.NetAddr>> | undefined;
  return { client: info?.remoteAddr?.hostname, done: info?.completed };
}

function idList(c: Context, name: string): string[] {
  const ids = (c.req.queries(name) ?? []).flatMap((v) => v.split(",")).map((s) => s.trim());
  return [...new Set(ids.filter(Boolean))];
}

/** Builds the UI routes (relative to the prefix). */
export function createUi(opts: UiOptions): Ui {
  const store = opts.store;
  const u: Urls = urls(opts.prefix ?? "", ASSET_VERSION);
  const now = opts.now ?? Date.now;
  const budget = opts.chartBudget ?? CHART_BUDGET;
  const cache = new SeriesCache(opts.seriesCacheBytes ?? SERIES_CACHE_BYTES);
  const charts = new SizedCache<{ built: BuiltChart; bytes: number }>(CHART_CACHE_BYTES);
  const src = { store, cache, charts };
  const hub = new LiveHub();
  const app = new Hono();

  app.onError((err) => {
    const status = err instanceof MltError ? err.status : 500;
    // A bug, not a client mistake: log the stack here, never send it.
    if (!(err instanceof MltError)) console.error(err);
    const message = err instanceof MltError ? err.message : "Internal server error";
    return htmlResponse(h(ErrorPage, { u, status, message }), status);
  });

  app.get("/_mlt/assets/:name", (c) => assetResponse(c.req.param("name")) ?? c.notFound());

  app.get("/", async (c) => {
    const deleted = c.req.query("view") === "deleted";
    const query = c.req.query("q") ?? "";
    const sidebar = await allExperiments(store);
    const listed = deleted ? await allExperiments(store, "DELETED_ONLY") : sidebar;
    const q = query.toLowerCase();
    const experiments = q ? listed.filter((e) => e.name.toLowerCase().includes(q)) : listed;
    return htmlResponse(h(HomePage, { u, sidebar, experiments, deleted, query }));
  });

  experimentRoutes(app, { ...src, u, now, searches: new Recent<Page<Run>>() });
  runsRoutes(app, { ...src, u, budget, artifacts: opts.artifacts });
  artifactRoutes(app, store, opts.artifacts, u);
  modelRoutes(app, { store, registry: opts.registry, artifacts: opts.artifacts, u, now });

  app.get("/runs/:runId", async (c) => {
    const run = await store.getRun(checkRunId(c.req.param("runId")));
    return c.redirect(u.run(run.info.experimentId, run.info.runId));
  });

  app.get("/experiments/:id/runs/:runId", async (c) => {
    const run = await store.getRun(checkRunId(c.req.param("runId")));
    if (run.info.experimentId !== c.req.param("id")) {
      return c.redirect(u.run(run.info.experimentId, run.info.runId));
    }
    const view = chartView(c);
    const parentId = run.data.tags.find((t) => t.key === TAG.parentRunId)?.value;
    const [experiment, experiments, parent] = await Promise.all([
      store.getExperiment(run.info.experimentId),
      allExperiments(store),
      // A hand-set tag may hold anything: the page then shows the value as text.
      parentId && isRunId(parentId) ? store.getRun(parentId).catch(() => undefined) : undefined,
    ]);
    const t = now();
    const selected = c.req.query("artifact") ?? "";
    const children = async () =>
      h(ChildRuns, {
        u,
        now: t,
        runs: (await store.searchRuns({
          experimentIds: [run.info.experimentId],
          filter: `tags.\`${TAG.parentRunId}\` = '${run.info.runId}'`,
          maxResults: 1000,
        })).items,
      });
    const metrics = async () => h(RunMetrics, { u, run, view, ...await runCharts(run, view) });
    const artifacts = async () =>
      h(Artifacts, {
        u,
        runId: run.info.runId,
        ...await loadArtifactTree(opts.artifacts, u, run, selected, view),
      });
    const output = async () =>
      h(Output, { u, runId: run.info.runId, log: await loadOutput(opts.artifacts, u, run, view) });
    const models = async () =>
      h(RunLoggedModels, { u, now: t, ...await runLoggedModels(store, run) });
    const inputs = run.inputs.datasetInputs;
    // The page's sections in order; a section needing more reading streams in a slot.
    const sections: RunSection[] = [
      {
        id: "overview",
        title: "Overview",
        body: [
          h(Overview, { u, run, parent, now: t, children: h(Slot, null) }),
          h(RunDescription, { u, run }),
        ],
      },
      {
        id: "params",
        title: "Parameters",
        count: run.data.params.length,
        body: h(Params, { run }),
      },
      { id: "metrics", title: "Metrics", count: run.data.metrics.length, body: h(Slot, null) },
      { id: "datasets", title: "Datasets", count: inputs.length, body: h(Datasets, { inputs }) },
      { id: "logged-models", title: "Logged models", body: h(Slot, null) },
      { id: "artifacts", title: "Artifacts", body: h(Slot, null) },
      { id: "output", title: "Output", body: h(Slot, null) },
      { id: "tags", title: "Tags", body: h(Tags, { u, run }) },
    ];
    const page = h(RunPage, {
      u,
      run,
      experiment,
      experiments,
      view,
      // The live stream starts from what this page shows, so no point is missed.
      liveSince: runSig(run),
      sections,
    });
    return streamResponse(page, [children, metrics, models, artifacts, output]);
  });

  // The run page's metrics table and charts: rendered while the point budget lasts, the rest as
  // placeholders (with the latest value only in the table) that load when scrolled to.
  async function runCharts(run: Run, view: ChartView) {
    // The user's metrics first, then system metrics.
    const all = run.data.metrics.map((m) => m.key).sort();
    const keys = [
      ...all.filter((k) => !k.startsWith("system/")),
      ...all.filter((k) => k.startsWith("system/")),
    ];
    const ids = [run.info.runId];
    const done = await budgetedCharts(
      keys,
      budget,
      (k) => metricChart(src, u, [k], [run], view, SMALL),
    );
    const metrics: MetricSummary[] = [], charts: ChartItem[] = [];
    done.forEach((d, i) => {
      const key = keys[i];
      const latest = run.data.metrics.find((m) => m.key === key)!;
      if ("chart" in d) {
        const s = d.summaries[0];
        metrics.push(s ? { key, ...s, latest } : { key, latest });
        charts.push({ svg: d.chart });
        return;
      }
      metrics.push({ key, latest });
      const q = viewQuery(view);
      charts.push({
        lazy: {
          metricKey: key,
          title: key,
          href: u.metric(key, ids, q),
          src: u.chart(key, ids, { ...q, row: "1" }),
          ...SMALL,
        },
      });
    });
    return { metrics, charts };
  }

  app.get("/_mlt/live/run/:runId", async (c) => {
    const runId = checkRunId(c.req.param("runId"));
    await store.getRun(runId);
    return sseResponse({
      hub,
      ...streamClient(c),
      intervalMs: opts.pollMs ?? 500,
      tick: runTicker(src, u, runId, chartView(c), c.req.query("since"), now),
    });
  });

  app.get("/_mlt/live/statuses", (c) => {
    const ids = idList(c, "runs").slice(0, MAX_LIVE_IDS).map(checkRunId);
    return sseResponse({
      hub,
      ...streamClient(c),
      intervalMs: opts.pollMs ?? 500,
      tick: statusTicker(store, ids, now, hub.misses),
    });
  });

  app.route("/_mlt/action", modelActionRoutes(store, opts.registry, u));
  app.route("/_mlt/action", actionRoutes(store, u));
  return { app, close: () => hub.close(), liveStreams: () => hub.size };
}

/**
 * Mounts the UI on the REST app at the static prefix: every UI route passes the app's security
 * middleware, artifacts come from the app's REST routes, and unknown non-API GETs get an HTML 404.
 */
export function mountUi(
  api: Hono,
  opts: Omit<UiOptions, "artifacts"> & { staticPrefix?: string },
  artifactsApi: Hono = api,
): Ui {
  const prefix = opts.staticPrefix ?? opts.prefix ?? "";
  const ui = createUi({ ...opts, prefix, artifacts: restArtifacts(artifactsApi) });
  api.route(prefix || "/", ui.app);
  // Under a prefix the start page is `/prefix`; MLflow's `/prefix/#/…` links redirect there.
  if (prefix) api.get(`${prefix}/`, (c) => c.redirect(prefix));
  const u = urls(prefix, ASSET_VERSION);
  api.get(`${prefix}/*`, (c) => {
    const path = new URL(c.req.url).pathname;
    if (/^\/(api|ajax-api)\//.test(path) || path.startsWith(`${prefix}/ajax-api/`)) {
      return c.notFound();
    }
    return htmlResponse(h(ErrorPage, { u, status: 404, message: `No page at "${path}"` }), 404);
  });
  return ui;
}
