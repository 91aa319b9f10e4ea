/**
 * The REST app's route groups: MLflow's tracking and registry API under `/api/2.0/mlflow/` and
 * `/ajax-api/2.0/mlflow/`, the `mlflow-artifacts` proxy, `/get-artifact` and the server info.
 * app.ts loads this module on the first request that may need it, so that a server answers
 * `/health` before its handlers, wire codecs and S3 client are compiled (B8, B9).
 */
import { Hono } from "hono";
import { MltError } from "../errors.ts";
import { isS3Uri, parseS3Uri, type S3Config } from "../store/s3/s3_config.ts";
import type { Auth } from "./auth.ts";
import type { ModelRegistryStore } from "../store/registry.ts";
import type { TrackingStore } from "../store/store.ts";
import { getArtifact, proxyRoutes, runArtifactRoutes, uploadArtifactRoutes } from "./artifacts.ts";
import type { ApiContext } from "./context.ts";
import { experimentRoutes, searchDatasetsRoutes } from "./experiments.ts";
import { loggedModelFileRoutes, loggedModelRoutes } from "./logged_models.ts";
import { metricRoutes } from "./metrics.ts";
import { getVersionArtifact, modelVersionRoutes } from "./model_versions.ts";
import { registeredModelRoutes } from "./registry.ts";
import { runRoutes } from "./runs.ts";
import type { ServerMetrics } from "./prometheus.ts";
import type { SecurityOptions } from "./security.ts";
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

// The `s3://` locations the server may serve: the destination's whole bucket plus the roots.
function s3Roots(opts: AppOptions): string[] {
  const roots = [...(opts.s3ArtifactRoots ?? [])];
  if (isS3Uri(opts.artifactsDestination)) {
    roots.push(`s3://${parseS3Uri(opts.artifactsDestination).bucket}`);
  }
  return roots;
}

// S3 access when anything is in S3 (createApp refuses S3 locations without settings).
function s3Access(opts: AppOptions): S3Access | undefined {
  const roots = s3Roots(opts);
  return roots.length && opts.s3 ? new S3Access(opts.s3, roots) : undefined;
}

/** The resolved options every handler shares. */
export function apiContext(opts: AppOptions): ApiContext {
  return {
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
}

/** Mounts every API route of `opts` on `app`, at the paths and in the order MLflow's clients use. */
export function mountRoutes(app: Hono, opts: AppOptions): void {
  const ctx = apiContext(opts);
  const prefix = opts.staticPrefix ?? "";
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
}
