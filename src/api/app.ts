/**
 * The REST app: MLflow's tracking API under `/api/2.0/mlflow/` and `/ajax-api/2.0/mlflow/`, the
 * `mlflow-artifacts` proxy, `/get-artifact`, `/health`, `/version`, behind the security
 * middleware, with one onError that turns every failure into `{"error_code","message"}`.
 * Knows storage only through TrackingStore; never imports a store implementation.
 *
 * This module is the app's core (middleware, `/health`, `/version`, errors); the API's routes
 * (routes.ts) load on the first request that may need them, unless `createApp` is given them.
 */
import type { Context, Hono } from "hono";
import { HonoBase } from "hono/hono-base";
import { TrieRouter } from "hono/router/trie-router";
import { MltError } from "../errors.ts";
import { isS3Uri } from "../store/s3/s3_config.ts";
import { MLFLOW_VERSION, MLT_VERSION } from "../version.ts";
import { errorBody, mltErrorBody } from "./error_body.ts";
import { jsonResponse } from "./json_response.ts";
import { lazyApp } from "./lazy_app.ts";
import type { AppOptions } from "./routes.ts";
import { securityMiddleware } from "./security.ts";

export type { AppOptions } from "./routes.ts";

/** The route module (routes.ts), for a caller that has it loaded already. */
export type Routes = typeof import("./routes.ts");

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

// Hono's default router compiles every route into one RegExp on the first request: ~15 ms of
// CPU before the first answer (B8 of bench/startup_bench.ts), for no measurable gain per
// request over the trie, which matches the same patterns in the same order. HonoBase is what
// `Hono` extends to pick that default: importing "hono" itself would load the RegExp and smart
// routers at start for nothing.
const newApp = (): Hono => new HonoBase({ router: new TrieRouter() });

/**
 * Builds the REST app over one store. `routes` mounts the API at once (a Prometheus route label
 * needs the route that answered in the app itself); without it, the API's modules load on the
 * first request under an API path, and the answers are the same.
 */
export function createApp(opts: AppOptions, routes?: Routes): Hono {
  const prefix = opts.staticPrefix ?? "";
  if (!opts.s3 && (opts.s3ArtifactRoots?.length || isS3Uri(opts.artifactsDestination))) {
    throw new MltError("INVALID_PARAMETER_VALUE", "S3 locations need S3 settings");
  }
  const app = newApp();
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
  if (routes) routes.mountRoutes(app, opts);
  else mountLazily(app, opts);
  return app;
}

// The API's routes in an app of their own, built on the first request under one of their paths;
// a request none of them matches goes on to what `app` has after them (the UI, then the 404).
function mountLazily(app: Hono, opts: AppOptions): void {
  const prefix = opts.staticPrefix ?? "";
  const roots = [...new Set(["", prefix])].flatMap((p) => [`${p}/api/`, `${p}/ajax-api/`]);
  const exact = new Set([`${prefix}/get-artifact`, `${prefix}/model-versions/get-artifact`]);
  const api = lazyApp(() =>
    import("./routes.ts").then(({ mountRoutes }) => {
      const api = newApp();
      api.onError(onError);
      mountRoutes(api, opts);
      return api;
    })
  );
  app.use(async (c, next) => {
    const path = c.req.path;
    if (!exact.has(path) && !roots.some((r) => path.startsWith(r))) return await next();
    return (await api(c)) ?? await next();
  });
}
