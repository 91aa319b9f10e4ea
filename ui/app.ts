/**
 * The web UI's routes: load data through TrackingStore (with data.ts), render a pure page, answer
 * HTML. Mounted on the REST app (mountUi) so the Host/Origin middleware covers every UI route,
 * and artifacts are read through that app's own REST routes. ui/ never imports a store
 * implementation, src/api internals, or the filesystem.
 */
import { type Context, Hono } from "hono";
import { h } from "preact";
import { MltError, notFound } from "../src/errors.ts";
import { TAG, type ViewType } from "../src/model.ts";
import type { TrackingStore } from "../src/store/store.ts";
import { actionRoutes } from "./actions.ts";
import { ASSET_VERSION, assetResponse } from "./assets.ts";
import { alignedData, colorAt, parseSmooth, parseXMode, parseYScale } from "./chart.ts";
import type { ArtifactItem } from "./components/artifacts.tsx";
import type { ChartView } from "./components/chart_controls.tsx";
import { filterError } from "./components/filter_box.tsx";
import type { Sort } from "./components/runs_table.tsx";
import {
  allExperiments,
  chartData,
  checkExperimentId,
  checkRunId,
  isClientError,
  LARGE,
  loadRuns,
  mapLimit,
  metricChart,
  SMALL,
} from "./data.ts";
import { LiveHub, runSig, runTicker, sseResponse, statusTicker } from "./live.ts";
import { loadArtifacts, restArtifacts } from "./artifact_view.ts";
import { ComparePage } from "./pages/compare.tsx";
import { ErrorPage } from "./pages/error.tsx";
import { HomePage } from "./pages/home.tsx";
import { MetricPage } from "./pages/metric.tsx";
import { RunPage } from "./pages/run.tsx";
import { RunsPage } from "./pages/runs.tsx";
import { htmlResponse } from "./render.ts";
import { type Urls, urls } from "./urls.ts";

/** Reads a run's artifacts (listing and bytes); mountUi provides it over the REST routes. */
export interface ArtifactAccess {
  list(runId: string, path: string): Promise<ArtifactItem[]>;
  read(runId: string, path: string, maxBytes: number): Promise<{ bytes: Uint8Array; size: number }>;
}

/** Options of the UI. */
export interface UiOptions {
  store: TrackingStore;
  /** The server's `--static-prefix` ("" or "/x"). */
  prefix?: string;
  artifacts?: ArtifactAccess;
  /** How often live streams poll the store (ms; default 500). */
  pollMs?: number;
  /** Clock for durations (tests). */
  now?: () => number;
}

/** The UI app and a way to end its live streams. */
export interface Ui {
  app: Hono;
  /** Ends every open live stream (call before shutting the server down). */
  close(): void;
}

const VIEWS: Record<string, ViewType> = { DELETED_ONLY: "DELETED_ONLY", ALL: "ALL" };
const MAX_COMPARE = 50;

function chartView(c: Context): ChartView {
  return {
    x: parseXMode(c.req.query("x")),
    y: parseYScale(c.req.query("y")),
    smooth: parseSmooth(c.req.query("smooth")),
  };
}

function idList(c: Context, name: string): string[] {
  const ids = (c.req.queries(name) ?? []).flatMap((v) => v.split(",")).map((s) => s.trim());
  return [...new Set(ids.filter(Boolean))];
}

// The store's order_by clause for a column id of the runs table.
function orderClause(sort: Sort): string[] {
  const dir = sort.desc ? "DESC" : "ASC";
  const fixed: Record<string, string> = {
    name: "attributes.run_name",
    status: "attributes.status",
    start: "attributes.start_time",
    user: "attributes.user_id",
    source: `tags.\`${TAG.sourceName}\``,
    version: `tags.\`${TAG.gitCommit}\``,
  };
  if (fixed[sort.col]) return [`${fixed[sort.col]} ${dir}`];
  const m = /^(metrics|params|tags)\.(.+)$/.exec(sort.col);
  if (m && !m[2].includes("`")) return [`${m[1]}.\`${m[2]}\` ${dir}`, "attributes.start_time DESC"];
  return ["attributes.start_time DESC"];
}

/** Builds the UI routes (relative to the prefix). */
export function createUi(opts: UiOptions): Ui {
  const store = opts.store;
  const u: Urls = urls(opts.prefix ?? "", ASSET_VERSION);
  const now = opts.now ?? Date.now;
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

  app.get("/experiments/:id", async (c) => {
    const id = checkExperimentId(c.req.param("id"));
    const [experiment, experiments] = await Promise.all([
      store.getExperiment(id),
      allExperiments(store),
    ]);
    const filter = c.req.query("filter") ?? "";
    const view = VIEWS[c.req.query("view") ?? ""] ?? "ACTIVE_ONLY";
    const col = c.req.query("sort") ?? "start";
    const sort: Sort = {
      col,
      desc: (c.req.query("dir") ?? (col === "start" ? "desc" : "asc")) === "desc",
    };
    const n = Math.min(1000, Math.max(1, Number(c.req.query("n")) || 100));
    const pageToken = c.req.query("page") || undefined;
    let runs: Awaited<ReturnType<TrackingStore["searchRuns"]>> = { items: [] };
    let error;
    try {
      runs = await store.searchRuns({
        experimentIds: [id],
        filter: filter || undefined,
        viewType: view,
        maxResults: n,
        orderBy: orderClause(sort),
        pageToken,
      });
    } catch (e) {
      if (!isClientError(e)) throw e;
      error = filterError(e.message);
    }
    const available = new Set<string>();
    const metricKeys = new Set<string>(), paramKeys = new Set<string>();
    for (const r of runs.items) {
      for (const m of r.data.metrics) metricKeys.add(`metrics.${m.key}`);
      for (const p of r.data.params) paramKeys.add(`params.${p.key}`);
    }
    const tagKeys = new Set<string>();
    for (const r of runs.items) {
      for (const t of r.data.tags) if (!t.key.startsWith("mlflow.")) tagKeys.add(`tags.${t.key}`);
    }
    for (const s of [metricKeys, paramKeys, tagKeys]) {
      for (const k of [...s].sort()) available.add(k);
    }
    const chosenRaw = c.req.queries("cols") || c.req.queries("col")
      ? [
        ...(c.req.queries("cols") ?? []).flatMap((v) => v.split(",")),
        ...(c.req.queries("col") ?? []),
      ]
        .filter(Boolean)
      : [...[...metricKeys].sort().slice(0, 10), ...[...paramKeys].sort().slice(0, 10)];
    const columns = [...new Set(chosenRaw)].filter((k) => /^(metrics|params|tags)\./.test(k));
    const explicitCols = c.req.queries("cols") || c.req.queries("col");
    const state = {
      filter: filter || undefined,
      sort: col === "start" && sort.desc ? undefined : col,
      dir: col === "start" && sort.desc ? undefined : sort.desc ? "desc" : "asc",
      view: view === "ACTIVE_ONLY" ? undefined : view,
      cols: explicitCols ? columns.join(",") || "" : undefined,
      n: n === 100 ? undefined : String(n),
    };
    const status = error ? 400 : 200;
    return htmlResponse(
      h(RunsPage, {
        u,
        experiment,
        experiments,
        runs: runs.items,
        filter,
        filterError: error,
        sort,
        view,
        columns,
        available: [...new Set([...available, ...columns])],
        pageSize: n,
        pageToken,
        nextPageToken: runs.nextPageToken,
        state,
        now: now(),
      }),
      status,
    );
  });

  app.get("/runs/:runId", async (c) => {
    const run = await store.getRun(checkRunId(c.req.param("runId")));
    return c.redirect(u.run(run.info.experimentId, run.info.runId));
  });

  app.get("/experiments/:id/runs/:runId", async (c) => {
    const expId = checkExperimentId(c.req.param("id"));
    const run = await store.getRun(checkRunId(c.req.param("runId")));
    if (run.info.experimentId !== expId) {
      return c.redirect(u.run(run.info.experimentId, run.info.runId));
    }
    const view = chartView(c);
    const [experiment, experiments] = await Promise.all([
      store.getExperiment(expId),
      allExperiments(store),
    ]);
    const keys = run.data.metrics.map((m) => m.key).sort();
    const loaded = await mapLimit(keys, 4, (k) => metricChart(store, u, k, [run], view, SMALL));
    const parentId = run.data.tags.find((t) => t.key === TAG.parentRunId)?.value;
    const parent = parentId
      ? await store.getRun(checkRunId(parentId)).catch(() => undefined)
      : undefined;
    const artifacts = await loadArtifacts(
      opts.artifacts,
      u,
      run,
      c.req.query("artifact") ?? "",
      view,
    );
    const page = h(RunPage, {
      u,
      run,
      experiment,
      experiments,
      metrics: loaded.map((l) => l.summaries[0]!).filter(Boolean),
      charts: loaded.map((l) => l.chart),
      view,
      artifacts,
      parent,
      // The live stream starts from what this page shows, so no point is missed.
      liveSince: runSig(run),
      now: now(),
    });
    return htmlResponse(page);
  });

  app.get("/metric", async (c) => {
    const key = c.req.query("key") ?? "";
    if (!key) throw notFound("No metric named; use /metric?key=<key>&runs=<run ids>");
    const ids = idList(c, "runs").slice(0, MAX_COMPARE);
    if (!ids.length) throw notFound("No runs named; use /metric?key=<key>&runs=<run ids>");
    const runs = await loadRuns(store, ids);
    const view = chartView(c);
    const { chart, summaries } = await metricChart(store, u, key, runs, view, LARGE);
    chart.href = undefined;
    return htmlResponse(h(MetricPage, {
      u,
      metricKey: key,
      runs: runs.map((run, i) => ({ run, color: colorAt(i), summary: summaries[i] })),
      chart,
      view,
    }));
  });

  app.get("/compare", async (c) => {
    const ids = idList(c, "runs").slice(0, MAX_COMPARE);
    if (!ids.length) {
      throw new MltError("INVALID_PARAMETER_VALUE", "Select at least one run to compare");
    }
    const runs = await loadRuns(store, ids);
    const view = chartView(c);
    const keys = [...new Set(runs.flatMap((r) => r.data.metrics.map((m) => m.key)))].sort().slice(
      0,
      60,
    );
    const charts = await mapLimit(
      keys,
      4,
      async (k) => (await metricChart(store, u, k, runs, view, SMALL)).chart,
    );
    return htmlResponse(h(ComparePage, {
      u,
      runs: runs.map((run, i) => ({ run, color: colorAt(i) })),
      charts,
      view,
      onlyDiff: c.req.query("diff") === "1",
    }));
  });

  app.get("/_mlt/chart-data", async (c) => {
    const key = c.req.query("key") ?? "";
    const runs = await loadRuns(store, idList(c, "runs").slice(0, MAX_COMPARE));
    const d = await chartData(store, key, runs, chartView(c));
    return c.json({ labels: d.labels, colors: d.colors, data: alignedData(d.series) }, 200, {
      "cache-control": "no-store",
    });
  });

  app.get("/_mlt/live/run/:runId", async (c) => {
    const runId = checkRunId(c.req.param("runId"));
    await store.getRun(runId);
    return sseResponse({
      hub,
      intervalMs: opts.pollMs ?? 500,
      tick: runTicker(store, u, runId, chartView(c), c.req.query("since"), now),
    });
  });

  app.get("/_mlt/live/statuses", (c) => {
    const ids = idList(c, "runs").slice(0, 1000).map(checkRunId);
    return sseResponse({
      hub,
      intervalMs: opts.pollMs ?? 500,
      tick: statusTicker(store, ids, now),
    });
  });

  app.route("/_mlt/action", actionRoutes(store, u));
  return { app, close: () => hub.close() };
}

/**
 * Mounts the UI on the REST app at the static prefix: every UI route passes the app's security
 * middleware, artifacts come from the app's REST routes, and unknown non-API GETs get an HTML 404.
 */
export function mountUi(
  api: Hono,
  opts: Omit<UiOptions, "artifacts"> & { staticPrefix?: string },
): Ui {
  const prefix = opts.staticPrefix ?? opts.prefix ?? "";
  const ui = createUi({ ...opts, prefix, artifacts: restArtifacts(api) });
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
