/**
 * The REST app: MLflow's tracking API under `/api/2.0/mlflow/` and `/ajax-api/2.0/mlflow/`, the
 * `mlflow-artifacts` proxy, `/get-artifact`, `/health`, `/version`, behind the security
 * middleware, with one onError that turns every failure into `{"error_code","message"}`.
 * Knows storage only through TrackingStore; never imports a store implementation.
 */
import { type Context, Hono } from "hono";
import { TrieRouter } from "hono/router/trie-router";
import { MltError } from "../errors.ts";
import type { ModelRegistryStore } from "../store/registry.ts";
import { isS3Uri, parseS3Uri, type S3Config } from "../store/s3/s3_config.ts";
import type { TrackingStore } from "../store/store.ts";
import { MLFLOW_VERSION, MLT_VERSION } from "../version.ts";
import { getArtifact, proxyRoutes, runArtifactRoutes, uploadArtifactRoutes } from "./artifacts.ts";
import type { Auth } from "./auth.ts";
import type { ApiContext } from "./context.ts";
import { errorBody, mltErrorBody } from "./error_body.ts";
import { experimentRoutes, searchDatasetsRoutes } from "./experiments.ts";
import { loggedModelFileRoutes, loggedModelRoutes } from "./logged_models.ts";
import { metricRoutes } from "./metrics.ts";
import type { ServerMetrics } from "./prometheus.ts";
import { getVersionArtifact, modelVersionRoutes } from "./model_versions.ts";
import { registeredModelRoutes } from "./registry.ts";
import { runRoutes } from "./runs.ts";
import { securityMiddleware, type SecurityOptions } from "./security.ts";
import { S3Access } from "./s3_access.ts";
import { destinationRepo } from "./served_artifacts.ts";
import { jsonResponse } from "./wire.ts";

/** Largest JSON body by default: a maximal log-batch (1000 entities, 100 params × 6000 chars, 100
 * tags × 8000 chars) even with every character escaped as `\uXXXX`, with room to spare. */
export const DEFAULT_MAX_JSON_BYTES = 16 * 1024 * 1024;
/** Largest artifact upload by default (5 GiB, as one S3 PUT). */
export const DEFAULT_MAX_ARTIFACT_BYTES = 5 * 1024 ** 3;

/** Options of the REST app. */
export interface AppOptions {
  store: TrackingStore;
  /** The model registry (`registered-models/*`, `model-versions/*`); absent: no such routes. */
  registry?: ModelRegistryStore;
  /** Absolute directory or canonical `s3://` URI behind `mlflow-artifacts:` URIs. */
  artifactsDestination: string;
  /** S3 settings (s3ConfigFromEnv), needed when the destination or a root is `s3://`. */
  s3?: S3Config;
  /** `s3://` locations whose artifacts may be served (the destination's bucket is added). */
  s3ArtifactRoots?: string[];
  /** Lifetime of presigned download URLs in seconds (default 300, as MLflow). */
  presignedDownloadSeconds?: number;
  /** Serve the artifacts proxy (default true). */
  serveArtifacts?: boolean;
  /** Serve only the artifacts proxy; tracking endpoints answer 503. */
  artifactsOnly?: boolean;
  /** Absolute directories local artifact locations may point into (plus the destination). */
  localArtifactRoots?: string[];
  /** Prefix of `/ajax-api`, `/health`, `/version`, `/get-artifact` (starts with `/`). */
  staticPrefix?: string;
  security?: SecurityOptions;
  maxJsonBytes?: number;
  maxArtifactBytes?: number;
  /** Body read timeout (ms, default 60000; body.ts). */
  bodyTimeoutMs?: number;
  /** Text of `/version` (default: the MLflow release whose API mlt speaks; see version.ts). */
  version?: string;
  /** `store_type` of `/api/3.0/mlflow/server-info` ("FileStore", "SqlStore"). */
  storeType?: string;
  /** `--auth basic`: every route but `/health` needs credentials (src/api/auth.ts). */
  auth?: Auth;
  /** `--expose-prometheus`: serve `/metrics` (behind --auth when set; src/api/prometheus.ts). */
  metrics?: ServerMetrics;
}

function onError(err: Error, _c: Context): Response {
  let res: Response;
  if (err instanceof MltError) res = jsonResponse(mltErrorBody(err), err.status);
  else {
    // A bug, not a client mistake: log the stack here, never send it.
    console.error(err);
    res = jsonResponse(errorBody("INTERNAL_ERROR", "Internal server error"), 500);
  }
  res.headers.set("X-Content-Type-Options", "nosniff");
  return res;
}

// S3 access when anything is in S3: the destination's whole bucket plus the configured roots.
function s3Access(opts: AppOptions): S3Access | undefined {
  const roots = [...(opts.s3ArtifactRoots ?? [])];
  if (isS3Uri(opts.artifactsDestination)) {
    roots.push(`s3://${parseS3Uri(opts.artifactsDestination).bucket}`);
  }
  if (roots.length === 0) return undefined;
  if (!opts.s3) throw new MltError("INVALID_PARAMETER_VALUE", "S3 locations need S3 settings");
  return new S3Access(opts.s3, roots);
}

/** Builds the REST app over one store. */
export function createApp(opts: AppOptions): Hono {
  const prefix = opts.staticPrefix ?? "";
  const ctx: ApiContext = {
    store: opts.store,
    registry: opts.registry,
    serveArtifacts: opts.serveArtifacts ?? true,
    artifactsDestination: opts.artifactsDestination,
    s3: s3Access(opts),
    presignedDownloadSeconds: opts.presignedDownloadSeconds ?? 300,
    localArtifactRoots: isS3Uri(opts.artifactsDestination)
      ? [...(opts.localArtifactRoots ?? [])]
      : [...(opts.localArtifactRoots ?? []), opts.artifactsDestination],
    maxJsonBytes: opts.maxJsonBytes ?? DEFAULT_MAX_JSON_BYTES,
    maxArtifactBytes: opts.maxArtifactBytes ?? DEFAULT_MAX_ARTIFACT_BYTES,
    bodyTimeoutMs: opts.bodyTimeoutMs,
    signedIn: opts.auth ? () => opts.auth?.currentPrincipal()?.name : undefined,
  };
  // Hono's default router compiles every route into one RegExp on the first request: ~15 ms of
  // CPU before the first answer (B8 of bench/startup_bench.ts), for no measurable gain per
  // request over the trie, which matches the same patterns in the same order.
  const app = new Hono({ router: new TrieRouter() });
  app.onError(onError);
  // First, so every answer (401, 403 and 404 included) is counted.
  if (opts.metrics) app.use(opts.metrics.middleware());
  app.notFound((c) =>
    jsonResponse(
      errorBody("ENDPOINT_NOT_FOUND", `No endpoint ${c.req.method} ${new URL(c.req.url).pathname}`),
      404,
    )
  );
  // mlt's own version on every answer, since `/version` answers MLflow's (clients gate on it).
  app.use(async (c, next) => {
    await next();
    c.res.headers.set("X-Mlt-Version", MLT_VERSION);
  });
  app.use(securityMiddleware({
    ...opts.security,
    hostExempt: [`${prefix}/health`, `${prefix}/version`, "/health", "/version"],
  }));
  // Registered before every route, so no route (UI pages included) can escape it.
  if (opts.auth) app.use(opts.auth.middleware([`${prefix}/health`, "/health"]));
  if (opts.metrics) {
    const metrics = opts.metrics;
    app.get("/metrics", () => metrics.response());
  }

  const health = () => new Response("OK", { headers: { "content-type": "text/plain" } });
  const version = () =>
    new Response(opts.version ?? MLFLOW_VERSION, { headers: { "content-type": "text/plain" } });
  for (const p of new Set(["", prefix])) {
    app.get(`${p}/health`, health);
    app.get(`${p}/version`, version);
  }

  const tracking = new Hono();
  if (opts.artifactsOnly) {
    tracking.all("*", () => {
      throw new MltError(
        "TEMPORARILY_UNAVAILABLE",
        "Tracking endpoints are disabled: this server runs with --artifacts-only",
      );
    });
  } else {
    tracking.route("/", experimentRoutes(ctx));
    tracking.route("/", runRoutes(ctx));
    tracking.route("/", metricRoutes(ctx));
    tracking.route("/", runArtifactRoutes(ctx));
    tracking.route("/", loggedModelRoutes(ctx));
    if (opts.registry) {
      tracking.route("/", registeredModelRoutes(ctx));
      tracking.route("/", modelVersionRoutes(ctx));
      app.get(`${prefix}/model-versions/get-artifact`, (c) => getVersionArtifact(c, ctx));
    }
  }
  app.route("/api/2.0/mlflow", tracking);
  app.route(`${prefix}/ajax-api/2.0/mlflow`, tracking);
  // UI-only routes MLflow serves under the ajax prefix alone (after `tracking`, so
  // --artifacts-only answers them with its 503 too).
  app.route(`${prefix}/ajax-api/2.0/mlflow`, searchDatasetsRoutes(ctx));
  app.route(`${prefix}/ajax-api/2.0/mlflow`, uploadArtifactRoutes(ctx));
  app.route(`${prefix}/ajax-api/2.0/mlflow`, loggedModelFileRoutes(ctx));

  const proxy = proxyRoutes(ctx);
  for (const p of new Set(["", prefix])) {
    app.route(`${p}/api/2.0/mlflow-artifacts`, proxy);
    app.route(`${p}/ajax-api/2.0/mlflow-artifacts`, proxy);
  }
  app.get(`${prefix}/get-artifact`, (c) => getArtifact(c, ctx));

  // As MLflow: the destination's capabilities, when the proxy is on.
  const dest = ctx.serveArtifacts ? destinationRepo(ctx) : undefined;
  const serverInfo = () =>
    jsonResponse({
      store_type: opts.storeType ?? "FileStore",
      workspaces_enabled: false,
      multipart_uploads_enabled: dest?.multipart !== undefined,
      multipart_downloads_enabled: dest?.presignDownload !== undefined,
    });
  app.get("/api/3.0/mlflow/server-info", serverInfo);
  app.get(`${prefix}/ajax-api/3.0/mlflow/server-info`, serverInfo);
  return app;
}
