/** `mlt server` and `mlt ui`: MLflow's tracking REST API, artifact proxy and web UI on one port. */
import { type Command, InvalidArgumentError, Option } from "commander";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import denoJson from "../../deno.json" with { type: "json" };
import type { CliContext } from "./context.ts";

/** Parsed options of `mlt server`. */
export interface ServerFlags {
  host: string;
  port: number;
  backendStoreUri?: string;
  defaultArtifactRoot?: string;
  serveArtifacts: boolean;
  artifactsDestination: string;
  artifactsOnly?: boolean;
  allowedHosts?: string[];
  corsAllowedOrigins?: string[];
  disableSecurityMiddleware?: boolean;
  xFrameOptions?: string;
  staticPrefix?: string;
  workers?: number;
  maxArtifactSize?: number;
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new InvalidArgumentError("expected a port number from 0 to 65535");
  }
  return n;
}

function parsePositive(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a positive integer");
  return n;
}

function parsePrefix(v: string): string {
  if (!v.startsWith("/") || v.endsWith("/")) {
    throw new InvalidArgumentError("the static prefix must start with '/' and not end with '/'");
  }
  return v;
}

const list = (v: string) => v.split(",").map((s) => s.trim()).filter(Boolean);
const truthy = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v);

// A local directory named by a plain path or file: URI; undefined for other schemes.
function localDir(uri: string): string | undefined {
  if (uri.startsWith("file:")) {
    return uri.startsWith("file://") ? fileURLToPath(uri) : resolve(uri.slice(5));
  }
  return /^[a-zA-Z][a-zA-Z0-9+.\-]*:/.test(uri) ? undefined : resolve(uri);
}

function register(name: "server" | "ui", program: Command, ctx: CliContext): void {
  const env = ctx.env;
  program.command(name)
    .description(
      name === "server"
        ? "serve MLflow's tracking REST API and artifact proxy"
        : "serve the web UI and tracking API locally (same options as `mlt server`)",
    )
    .helpOption("--help", "show help")
    .option(
      "-h, --host <host>",
      "address to bind (not a security setting)",
      env("MLFLOW_HOST") ?? "127.0.0.1",
    )
    .addOption(
      new Option("-p, --port <port>", "port to listen on (0 picks a free one)")
        .default(env("MLFLOW_PORT") ? parsePort(env("MLFLOW_PORT")!) : 5000).argParser(parsePort),
    )
    .option(
      "--backend-store-uri <uri>",
      "tracking store (default: MLFLOW_TRACKING_URI or ./mlruns)",
    )
    .option("--registry-store-uri <uri>", "accepted for compatibility; mlt has no model registry")
    .option("--default-artifact-root <uri>", "artifact root of new experiments")
    .option("--serve-artifacts", "serve the mlflow-artifacts proxy (default)")
    .option("--no-serve-artifacts", "do not serve the mlflow-artifacts proxy")
    .option("--artifacts-destination <dir>", "where proxied artifacts are stored")
    .option("--artifacts-only", "serve only the artifacts proxy")
    .option("--allowed-hosts <list>", "comma-separated Host patterns to accept besides localhost")
    .option("--cors-allowed-origins <list>", "comma-separated origins allowed cross-origin")
    .option("--disable-security-middleware", "turn the Host, Origin and header checks off")
    .option("--x-frame-options <value>", "SAMEORIGIN (default), DENY or NONE")
    .addOption(
      new Option("--static-prefix <prefix>", "prefix of the UI and ajax routes").argParser(
        parsePrefix,
      ),
    )
    .addOption(
      new Option("-w, --workers <n>", "accepted; mlt serves from one process").argParser(
        parsePositive,
      ),
    )
    .addOption(
      new Option("--max-artifact-size <bytes>", "largest artifact upload").argParser(parsePositive),
    )
    .option("--gunicorn-opts <opts>", "accepted and ignored")
    .option("--uvicorn-opts <opts>", "accepted and ignored")
    .option("--waitress-opts <opts>", "accepted and ignored")
    .action(async (o) => {
      await serve({
        host: o.host,
        port: o.port,
        backendStoreUri: o.backendStoreUri ?? env("MLFLOW_BACKEND_STORE_URI"),
        defaultArtifactRoot: o.defaultArtifactRoot ?? env("MLFLOW_DEFAULT_ARTIFACT_ROOT"),
        serveArtifacts: o.serveArtifacts !== false &&
          (env("MLFLOW_SERVE_ARTIFACTS") === undefined || truthy(env("MLFLOW_SERVE_ARTIFACTS"))),
        artifactsDestination: o.artifactsDestination ?? env("MLFLOW_ARTIFACTS_DESTINATION") ??
          "./mlartifacts",
        artifactsOnly: o.artifactsOnly ?? truthy(env("MLFLOW_ARTIFACTS_ONLY")),
        allowedHosts: list(o.allowedHosts ?? env("MLFLOW_SERVER_ALLOWED_HOSTS") ?? ""),
        corsAllowedOrigins: list(
          o.corsAllowedOrigins ?? env("MLFLOW_SERVER_CORS_ALLOWED_ORIGINS") ?? "",
        ),
        disableSecurityMiddleware: o.disableSecurityMiddleware ??
          truthy(env("MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE")),
        xFrameOptions: o.xFrameOptions ?? env("MLFLOW_SERVER_X_FRAME_OPTIONS"),
        staticPrefix: o.staticPrefix ??
          (env("MLFLOW_STATIC_PREFIX") && parsePrefix(env("MLFLOW_STATIC_PREFIX")!)),
        workers: o.workers,
        maxArtifactSize: o.maxArtifactSize,
      }, ctx);
    });
}

/** Runs the server until SIGINT or SIGTERM, then lets in-flight requests finish. */
export async function serve(flags: ServerFlags, ctx: CliContext): Promise<void> {
  const { openStore } = await import("../store/open.ts");
  const { createApp } = await import("../api/app.ts");
  const { trackingUri } = await import("./context.ts");
  const { MltError } = await import("../errors.ts");
  if (flags.artifactsOnly && flags.backendStoreUri) {
    throw new MltError(
      "INVALID_PARAMETER_VALUE",
      "--backend-store-uri cannot be combined with --artifacts-only",
    );
  }
  const storeUri = trackingUri(ctx, flags.backendStoreUri);
  const destination = resolve(ctx.cwd, flags.artifactsDestination);
  const artifactRoot = flags.defaultArtifactRoot ??
    (flags.serveArtifacts ? "mlflow-artifacts:/" : undefined);
  const store = openStore(storeUri, { artifactRoot });
  const roots = [store.uri, flags.defaultArtifactRoot].filter((u): u is string => !!u)
    .map(localDir).filter((d): d is string => d !== undefined);
  const app = createApp({
    store,
    artifactsDestination: destination,
    serveArtifacts: flags.serveArtifacts,
    artifactsOnly: flags.artifactsOnly,
    localArtifactRoots: roots,
    staticPrefix: flags.staticPrefix,
    maxArtifactBytes: flags.maxArtifactSize,
    version: denoJson.version,
    storeType: store.uri.startsWith("file:") ? "FileStore" : "SqlStore",
    security: {
      enabled: !flags.disableSecurityMiddleware,
      allowedHosts: flags.allowedHosts,
      corsAllowedOrigins: flags.corsAllowedOrigins,
      xFrameOptions: flags.xFrameOptions,
    },
  });
  // The web UI shares the app, so its routes pass the same Host/Origin middleware.
  const ui = flags.artifactsOnly
    ? undefined
    : (await import("../../ui/app.ts")).mountUi(app, { store, staticPrefix: flags.staticPrefix });
  if ((flags.workers ?? 1) > 1) {
    console.error(`mlt serves from one process; --workers ${flags.workers} is ignored`);
  }
  let server: Deno.HttpServer;
  try {
    server = serveOn(flags, app.fetch);
  } catch (e) {
    await store.close();
    if (
      !(e instanceof Deno.errors.AddrInUse || e instanceof Deno.errors.PermissionDenied ||
        e instanceof Deno.errors.AddrNotAvailable)
    ) throw e;
    throw new MltError(
      "INVALID_PARAMETER_VALUE",
      `Cannot listen on ${flags.host}:${flags.port}: ${(e as Error).message}`,
    );
  }
  const stop = () => {
    ui?.close(); // open live streams would otherwise hold the shutdown
    void server.shutdown();
  };
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, stop);
  try {
    await server.finished;
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, stop);
    await store.close();
  }
}

/** Registers `mlt server`. */
export function serverCommand(program: Command, ctx: CliContext): void {
  register("server", program, ctx);
}

/** Registers `mlt ui`. */
export function uiCommand(program: Command, ctx: CliContext): void {
  register("ui", program, ctx);
}

function serveOn(
  flags: ServerFlags,
  handler: (req: Request) => Response | Promise<Response>,
): Deno.HttpServer {
  return Deno.serve({
    hostname: flags.host,
    port: flags.port,
    onListen: ({ hostname, port }) => {
      const h = hostname.includes(":") ? `[${hostname}]` : hostname;
      console.log(`mlt ${denoJson.version} listening on http://${h}:${port}`);
    },
  }, handler);
}
