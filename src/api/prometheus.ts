/**
 * `/metrics` of `mlt server --expose-prometheus`: request counts and latencies by route pattern
 * and status, requests and uploads in flight, open connections, and store pool use, written in
 * Prometheus' text format by prom-client. Labels hold only bounded values (the matched route
 * pattern, never the raw path; a known method or "other"; the status code), so no user input
 * can grow the series count. Several `--workers` processes share their counters through files in
 * one directory (metrics_share.ts), as MLflow's gunicorn workers do through theirs.
 */
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import client from "prom-client";
import { reportsPool } from "../store/pool_stats.ts";
import { MLFLOW_VERSION, MLT_VERSION } from "../version.ts";
import type { ConnectionStats } from "./connections.ts";

/** What the metrics observe besides requests; each part may be set once it exists. */
export interface MetricSources {
  /** The accept loop's counters (RunningServer.connections). */
  connections?: ConnectionStats;
  /** Stores whose pool use is reported when they implement `poolStats()` (pool_stats.ts). */
  stores?: Record<string, unknown>;
  /** Snapshots of the other `--workers` processes (metrics_share.ts), summed into each scrape. */
  peers?: () => Promise<Snapshot[]>;
}

/** One process's metrics as prom-client JSON. */
export type Snapshot = client.MetricObjectWithValues<client.MetricValue<string>>[];

// MLflow's exporter leaves these out; `/metrics` is left out too, so a scrape counts nothing.
const EXCLUDED = new Set(["/health", "/version", "/metrics"]);
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
/** Route label of a request no route matched (404s of random paths share this one series). */
export const UNMATCHED_ROUTE = "(unmatched)";
/** Route label of an answer from a middleware: a refusal (401, 403) or a CORS preflight. */
export const MIDDLEWARE_ROUTE = "(middleware)";
/** Route label of the web UI's pages and assets (one catch-all route serves them). */
export const UI_ROUTE = "(ui)";

/** The registry and middleware behind `/metrics`. */
export class ServerMetrics {
  readonly registry = new client.Registry();
  readonly sources: MetricSources;
  readonly #requests;
  readonly #duration;
  readonly #inFlight;
  readonly #uploads;

  constructor(sources: MetricSources = {}) {
    this.sources = sources;
    const registers = [this.registry];
    const labelNames = ["method", "route", "status"] as const;
    // MLflow's names (prometheus_flask_exporter with the "mlflow" prefix), plus a route label.
    this.#requests = new client.Counter({
      name: "mlflow_http_request_total",
      help: "HTTP requests by method, route pattern and status",
      labelNames,
      registers,
    });
    this.#duration = new client.Histogram({
      name: "mlflow_http_request_duration_seconds",
      help: "Time to answer an HTTP request (until the handler returns its response)",
      labelNames,
      registers,
    });
    this.#inFlight = new client.Gauge({
      name: "mlt_http_requests_in_flight",
      help: "Requests being handled",
      registers,
    });
    this.#uploads = new client.Gauge({
      name: "mlt_artifact_uploads_in_flight",
      help: "Artifact uploads being received (proxy PUTs and the UI's upload-artifact)",
      registers,
    });
    new client.Gauge({
      name: "mlt_info",
      help: "mlt version and the MLflow API version it speaks",
      labelNames: ["version", "mlflow_version"],
      registers,
      aggregator: "first",
    }).set({ version: MLT_VERSION, mlflow_version: MLFLOW_VERSION }, 1);
    this.#connectionMetrics();
    this.#poolMetrics();
  }

  #connectionMetrics(): void {
    const sources = this.sources;
    new client.Gauge({
      name: "mlt_open_connections",
      help: "Open client connections",
      registers: [this.registry],
      collect() {
        this.set(sources.connections?.open ?? 0);
      },
    });
    const outcomes = {
      accepted: "accepted",
      refused: "refused",
      evicted: "evicted",
      timed_out: "timedOut",
    } as const;
    new client.Counter({
      name: "mlt_connections_total",
      help: "Connections by outcome: accepted, refused (cap reached), evicted or timed_out (idle)",
      labelNames: ["outcome"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [label, key] of Object.entries(outcomes)) {
          this.inc({ outcome: label }, sources.connections?.[key] ?? 0);
        }
      },
    });
  }

  #poolMetrics(): void {
    const sources = this.sources;
    const pools = () =>
      Object.entries(sources.stores ?? {}).flatMap(([name, s]) =>
        reportsPool(s) ? [[name, s.poolStats()] as const] : []
      );
    new client.Gauge({
      name: "mlt_store_pool_connections",
      help: "Store pool connections by state (in_use, idle, waiting for one); pooled stores only",
      labelNames: ["store", "state"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [store, p] of pools()) {
          this.set({ store, state: "in_use" }, p.inUse);
          this.set({ store, state: "idle" }, p.idle);
          this.set({ store, state: "waiting" }, p.waiting);
        }
      },
    });
    new client.Gauge({
      name: "mlt_store_pool_max",
      help: "Most connections a store's pool may open",
      labelNames: ["store"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [store, p] of pools()) this.set({ store }, p.max);
      },
    });
  }

  /** Counts and times every request; registered first so 401/403/404 answers count too. */
  middleware(): MiddlewareHandler {
    return async (c, next) => {
      if (EXCLUDED.has(c.req.path)) return await next();
      const method = METHODS.has(c.req.method) ? c.req.method : "other";
      const upload = isUpload(c.req.method, c.req.path);
      const end = this.#duration.startTimer();
      this.#inFlight.inc();
      if (upload) this.#uploads.inc();
      let status = 500;
      try {
        await next();
        status = c.res.status;
      } finally {
        this.#inFlight.dec();
        if (upload) this.#uploads.dec();
        const labels = { method, route: routeLabel(c), status: String(status) };
        end(labels);
        this.#requests.inc(labels);
      }
    };
  }

  /** This process's metrics as prom-client JSON (for sharing between processes). */
  snapshot(): Promise<Snapshot> {
    return this.registry.getMetricsAsJSON();
  }

  /** The text exposition: this process's metrics summed with its peers'. */
  async render(): Promise<string> {
    const peers = await this.sources.peers?.() ?? [];
    if (peers.length === 0) return await this.registry.metrics();
    const all = [await this.snapshot(), ...peers];
    return await client.AggregatorRegistry.aggregate(all).metrics();
  }

  /** The `/metrics` answer. */
  async response(): Promise<Response> {
    return new Response(await this.render(), { headers: { "content-type": EXPOSITION_TYPE } });
  }
}

/** Content type of the text exposition. */
export const EXPOSITION_TYPE = client.Registry.PROMETHEUS_CONTENT_TYPE;

// The pattern of the route that answered (`/api/2.0/mlflow/runs/get`, `/api/2.0/mlflow-artifacts/
// artifacts/*`), read after the answer. A middleware (it takes `next`) answers refusals and
// preflights, and is where a request no route matched ends; the UI answers its pages from one
// catch-all (ui/lazy.ts), with a 404 for what it does not know.
function routeLabel(c: Context): string {
  const route = matchedRoutes(c)[c.req.routeIndex];
  const catchAll = route === undefined || route.path === "/*" || route.path === "*";
  if (catchAll && c.res.status === 404) return UNMATCHED_ROUTE;
  if (route === undefined || route.handler.length >= 2) return MIDDLEWARE_ROUTE;
  return catchAll ? UI_ROUTE : route.path;
}

// Only whether it is an upload is taken from the raw path, never the path itself.
function isUpload(method: string, path: string): boolean {
  return (method === "PUT" && path.includes("/mlflow-artifacts/")) ||
    (method === "POST" && path.endsWith("/upload-artifact"));
}
