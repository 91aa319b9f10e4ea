/**
 * The web UI's routes: load data through TrackingStore (with data.ts), render a pure page, answer
 * HTML. Mounted on the REST app (mountUi) so the Host/Origin middleware covers every UI route,
 * and artifacts are read through that app's own REST routes. ui/ never imports a store
 * implementation, src/api internals, or the filesystem.
 */
import { type Context, Hono } from "hono";
import { h } from "preact";
import { MltError, notFound } from "../src/errors.ts";
import { type Page, type Run, TAG, type ViewType } from "../src/model.ts";
import { parseRunFilter } from "../src/search/filter.ts";
import { parseRunOrderBy } from "../src/search/order_by.ts";
import { decodePageToken, encodePageToken } from "../src/search/page_token.ts";
import type { TrackingStore } from "../src/store/store.ts";
import { isRunId } from "../src/validate.ts";
import { actionRoutes } from "./actions.ts";
import { ASSET_VERSION, assetResponse } from "./assets.ts";
import { alignedData, colorAt, parseSmooth, parseXMode, parseYScale } from "./chart.ts";
import type { ArtifactItem } from "./components/artifacts.tsx";
import type { ChartView } from "./components/chart_controls.tsx";
import { type FilterError, filterError } from "./components/filter_box.tsx";
import type { Sort } from "./components/runs_table.tsx";
import {
  allExperiments,
  budgetedCharts,
  CHART_BUDGET,
  type ChartBudget,
  chartData,
  checkExperimentId,
  checkRunId,
  comparePlots,
  isClientError,
  LARGE,
  loadRuns,
  metricChart,
  SMALL,
  viewQuery,
} from "./data.ts";
import { LiveHub, MAX_LIVE_IDS, runSig, runTicker, sseResponse, statusTicker } from "./live.ts";
import { loadArtifacts, loadOutput, restArtifacts } from "./artifact_view.ts";
import { type ChartItem, type LazyChartProps, SvgChart } from "./components/chart.tsx";
import { MetricRow, type MetricSummary } from "./components/metrics.tsx";
import { ComparePage } from "./pages/compare.tsx";
import { ErrorPage } from "./pages/error.tsx";
import { HomePage } from "./pages/home.tsx";
import { MetricPage } from "./pages/metric.tsx";
import { RunDetails, RunMetrics, RunPage } from "./pages/run.tsx";
import { orderClause, runColumns } from "./runs_query.ts";
import { RunsBody, RunsPage } from "./pages/runs.tsx";
import { fragment, htmlResponse, Slot, streamResponse } from "./render.ts";
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
  /** How many points pages draw on the server before deferring charts (default CHART_BUDGET). */
  chartBudget?: ChartBudget;
}

/** The UI app and a way to end its live streams. */
export interface Ui {
  app: Hono;
  /** Ends every open live stream (call before shutting the server down). */
  close(): void;
  /** Live streams open now. */
  liveStreams(): number;
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
    // Checked before the first byte goes out, so mistakes still get their status (400).
    const offset = decodePageToken(pageToken);
    const orderBy = orderClause(sort);
    let error: FilterError | undefined;
    try {
      parseRunFilter(filter || undefined);
      parseRunOrderBy(orderBy);
    } catch (e) {
      if (!isClientError(e)) throw e;
      error = filterError(e.message);
    }
    const explicit = c.req.queries("cols") || c.req.queries("col");
    const chosen = explicit
      ? [
        ...(c.req.queries("cols") ?? []).flatMap((v) => v.split(",")),
        ...(c.req.queries("col") ?? []),
      ].filter(Boolean)
      : undefined;
    const state = {
      filter: filter || undefined,
      sort: col === "start" && sort.desc ? undefined : col,
      dir: col === "start" && sort.desc ? undefined : sort.desc ? "desc" : "asc",
      view: view === "ACTIVE_ONLY" ? undefined : view,
      cols: chosen
        ? [...new Set(chosen)].filter((k) => /^(metrics|params|tags)\./.test(k)).join(",") || ""
        : undefined,
      n: n === 100 ? undefined : String(n),
    };
    const body = async () => {
      const runs: Page<Run> = error ? { items: [] } : await store.searchRuns({
        experimentIds: [id],
        filter: filter || undefined,
        viewType: view,
        maxResults: n,
        orderBy,
        pageToken,
      });
      const { columns, available } = runColumns(runs.items, chosen);
      return h(RunsBody, {
        u,
        experiment,
        runs: runs.items,
        sort,
        view,
        columns,
        available,
        pageSize: n,
        offset,
        pageToken,
        nextPageToken: runs.nextPageToken,
        prevPageToken: offset - n > 0 ? encodePageToken(offset - n) : undefined,
        state,
        now: now(),
      });
    };
    const shell = h(RunsPage, {
      u,
      experiment,
      experiments,
      filter,
      filterError: error,
      state,
      children: h(Slot, null),
    });
    return streamResponse(shell, [body], error ? 400 : 200);
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
    const parentId = run.data.tags.find((t) => t.key === TAG.parentRunId)?.value;
    const [experiment, experiments, parent] = await Promise.all([
      store.getExperiment(expId),
      allExperiments(store),
      // A hand-set tag may hold anything: the page then shows the value as text.
      parentId && isRunId(parentId) ? store.getRun(parentId).catch(() => undefined) : undefined,
    ]);
    // Both slots start loading once the page's head is out; they stream in page order.
    const metrics = async () => h(RunMetrics, { u, run, view, ...await runCharts(run, view) });
    const selected = c.req.query("artifact") ?? "";
    const details = async () => {
      const [output, artifacts] = await Promise.all([
        loadOutput(opts.artifacts, u, run, view),
        loadArtifacts(opts.artifacts, u, run, selected, view),
      ]);
      return h(RunDetails, { u, run, output, artifacts });
    };
    const page = h(RunPage, {
      u,
      run,
      experiment,
      experiments,
      view,
      parent,
      // The live stream starts from what this page shows, so no point is missed.
      liveSince: runSig(run),
      now: now(),
      metrics: h(Slot, null),
      details: h(Slot, null),
    });
    return streamResponse(page, [metrics, details]);
  });

  // The run page's metrics table and charts: rendered while the point budget lasts, the rest as
  // placeholders (with the latest value only in the table) that load when scrolled to.
  async function runCharts(run: Run, view: ChartView) {
    const keys = run.data.metrics.map((m) => m.key).sort();
    const ids = [run.info.runId];
    const done = await budgetedCharts(
      keys,
      budget,
      (k) => metricChart(store, u, k, [run], view, SMALL),
    );
    const metrics: MetricSummary[] = [], charts: ChartItem[] = [];
    done.forEach((d, i) => {
      const key = keys[i];
      if ("chart" in d) {
        if (d.summaries[0]) metrics.push(d.summaries[0]);
        charts.push({ svg: d.chart });
        return;
      }
      const latest = run.data.metrics.find((m) => m.key === key)!;
      metrics.push({ key, latest });
      charts.push({ lazy: lazyChart(key, ids, view) });
    });
    return { metrics, charts };
  }

  function lazyChart(key: string, ids: string[], view: ChartView): LazyChartProps {
    const q = viewQuery(view);
    return {
      metricKey: key,
      title: key,
      href: u.metric(key, ids, q),
      src: u.chart(key, ids, { ...q, row: ids.length === 1 ? "1" : undefined }),
      ...SMALL,
    };
  }

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
    const wanted = idList(c, "runs").slice(0, MAX_COMPARE);
    if (!wanted.length) {
      throw new MltError("INVALID_PARAMETER_VALUE", "Select at least one run to compare");
    }
    const runs = await loadRuns(store, wanted);
    const ids = runs.map((r) => r.info.runId);
    const view = chartView(c);
    const keys = [...new Set(runs.flatMap((r) => r.data.metrics.map((m) => m.key)))].sort()
      .slice(0, 60);
    const charts: ChartItem[] = (await budgetedCharts(
      keys,
      budget,
      (k) => metricChart(store, u, k, runs, view, SMALL),
    )).map((d, i) => ("chart" in d ? { svg: d.chart } : { lazy: lazyChart(keys[i], ids, view) }));
    const plots = comparePlots(u, runs, {
      pm: c.req.query("pm"),
      pp: c.req.queries("pp"),
      sx: c.req.query("sx"),
      sy: c.req.query("sy"),
    });
    const onlyDiff = c.req.query("diff") === "1";
    return htmlResponse(h(ComparePage, {
      u,
      runs: runs.map((run, i) => ({ run, color: colorAt(i) })),
      charts,
      view,
      onlyDiff,
      ...plots,
      state: {
        runs: ids.join(","),
        diff: onlyDiff ? "1" : undefined,
        ...viewQuery(view),
        pm: plots.parallel.metric,
        pp: plots.parallel.params.join(","),
        sx: plots.scatter.x,
        sy: plots.scatter.y,
      },
    }));
  });

  // One chart as HTML for a lazy placeholder (and, for one run, its metrics table row).
  app.get("/_mlt/chart", async (c) => {
    const key = c.req.query("key") ?? "";
    if (!key) throw notFound("No metric named; use /_mlt/chart?key=<key>&runs=<run ids>");
    const runs = await loadRuns(store, idList(c, "runs").slice(0, MAX_COMPARE));
    if (!runs.length) throw notFound("No runs named; use /_mlt/chart?key=<key>&runs=<run ids>");
    const { chart, summaries } = await metricChart(store, u, key, runs, chartView(c), SMALL);
    const s = summaries[0];
    const row = c.req.query("row") === "1" && runs.length === 1 && s
      ? fragment(h(MetricRow, { s, href: u.metric(key, [runs[0].info.runId]) }))
      : undefined;
    return c.json({ figure: fragment(h(SvgChart, chart)), row }, 200, {
      "cache-control": "no-store",
    });
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
      ...streamClient(c),
      intervalMs: opts.pollMs ?? 500,
      tick: runTicker(store, u, runId, chartView(c), c.req.query("since"), now),
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
