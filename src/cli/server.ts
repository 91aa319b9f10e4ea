/**
 * `mlt server` and `mlt ui`: MLflow's tracking REST API, artifact proxy and web UI on one port.
 * main.ts calls `serverMain` directly (commander only prints this command's help), and the store,
 * app and UI load lazily, so an idle server holds only what it serves.
 */
import { resolve } from "../posix_path.ts";
import { MltError } from "../errors.ts";
import { MLFLOW_VERSION, MLT_VERSION } from "../version.ts";
import { type CliContext, resolveTrackingUri, UsageError } from "./context.ts";
import {
  checkWorkersPossible,
  parentGone,
  READY_LINE,
  WORKER_ENV,
  WorkerPool,
} from "./server_workers.ts";
import {
  parsePort,
  parsePositive,
  parsePrefix,
  parseServerArgs,
  type ServerArgs,
} from "./server_options.ts";

/** Parsed options of `mlt server`. */
export interface ServerFlags {
  host: string;
  port: number;
  backendStoreUri?: string;
  /** The model registry; absent: the backend store, as MLflow. */
  registryStoreUri?: string;
  defaultArtifactRoot?: string;
  /** `--artifact-root`: more local folders whose run artifacts may be served. */
  artifactRoots?: string[];
  serveArtifacts: boolean;
  artifactsDestination: string;
  artifactsOnly?: boolean;
  allowedHosts?: string[];
  corsAllowedOrigins?: string[];
  disableSecurityMiddleware?: boolean;
  xFrameOptions?: string;
  staticPrefix?: string;
  workers?: number;
  /** PostgreSQL stores: connections in the pool. */
  pgPoolSize?: number;
  maxArtifactSize?: number;
  /** `--max-connections`. */
  maxConnections?: number;
  /** `--idle-timeout`, in ms. */
  idleTimeoutMs?: number;
  /** `--body-timeout`, in ms. */
  bodyTimeoutMs?: number;
  /** `--auth basic`: credentials already gathered at the CLI edge. */
  auth?: AuthFlags;
  /** `--expose-prometheus`: directory shared by the processes' metrics (server_metrics.ts). */
  exposePrometheus?: string;
}

/** `--auth basic` settings: credentials from files and variables, read-only names. */
export interface AuthFlags {
  users: [string, string][];
  tokens: [string, string][];
  readOnly: string[];
  /** `--trusted-proxies`: peers whose X-Forwarded-For is believed. */
  trustedProxies?: string[];
}

function parsePositiveSeconds(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error("expected a whole number of seconds");
  return n;
}

const list = (v: string) => v.split(",").map((s) => s.trim()).filter(Boolean);
const truthy = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v);

// An environment default checked like its flag; a bad one is a usage error naming the variable.
function fromEnv<T>(ctx: CliContext, name: string, parse: (v: string) => T): T | undefined {
  const v = ctx.env(name);
  if (v === undefined || v === "") return undefined;
  try {
    return parse(v);
  } catch (e) {
    throw new UsageError(`${name}="${v}" is invalid: ${(e as Error).message}`);
  }
}

/** `mlt server …` / `mlt ui …` after the command name: parses, then serves or hashes. */
export async function serverMain(args: string[], ctx: CliContext): Promise<void> {
  const o = parseServerArgs(args);
  if (o["hash-password"]) return await printPasswordHash();
  await serve(await serverFlags(o, ctx), ctx, args);
}

/** The flags of a parsed command line, with MLflow's environment variables as defaults. */
export async function serverFlags(o: ServerArgs, ctx: CliContext): Promise<ServerFlags> {
  const env = ctx.env;
  const str = (k: string) => o[k] as string | undefined;
  const port = (o.port as number | undefined) ?? fromEnv(ctx, "MLFLOW_PORT", parsePort) ?? 5000;
  return {
    host: str("host") ?? env("MLFLOW_HOST") ?? "127.0.0.1",
    port,
    backendStoreUri: str("backend-store-uri") ?? env("MLFLOW_BACKEND_STORE_URI"),
    registryStoreUri: str("registry-store-uri") ?? env("MLFLOW_REGISTRY_STORE_URI"),
    defaultArtifactRoot: str("default-artifact-root") ?? env("MLFLOW_DEFAULT_ARTIFACT_ROOT"),
    artifactRoots: o["artifact-root"] as string[] | undefined,
    serveArtifacts: !o["no-serve-artifacts"] &&
      (o["serve-artifacts"] === true || env("MLFLOW_SERVE_ARTIFACTS") === undefined ||
        truthy(env("MLFLOW_SERVE_ARTIFACTS"))),
    artifactsDestination: str("artifacts-destination") ?? env("MLFLOW_ARTIFACTS_DESTINATION") ??
      "./mlartifacts",
    artifactsOnly: (o["artifacts-only"] as boolean | undefined) ??
      truthy(env("MLFLOW_ARTIFACTS_ONLY")),
    allowedHosts: list(str("allowed-hosts") ?? env("MLFLOW_SERVER_ALLOWED_HOSTS") ?? ""),
    corsAllowedOrigins: list(
      str("cors-allowed-origins") ?? env("MLFLOW_SERVER_CORS_ALLOWED_ORIGINS") ?? "",
    ),
    disableSecurityMiddleware: (o["disable-security-middleware"] as boolean | undefined) ??
      truthy(env("MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE")),
    xFrameOptions: str("x-frame-options") ?? env("MLFLOW_SERVER_X_FRAME_OPTIONS"),
    staticPrefix: str("static-prefix") ?? fromEnv(ctx, "MLFLOW_STATIC_PREFIX", parsePrefix),
    workers: o.workers as number | undefined,
    pgPoolSize: (o["pg-pool-size"] as number | undefined) ??
      fromEnv(ctx, "MLT_PG_POOL_SIZE", parsePositive),
    maxArtifactSize: o["max-artifact-size"] as number | undefined,
    maxConnections: o["max-connections"] as number | undefined,
    idleTimeoutMs: o["idle-timeout"] as number | undefined,
    bodyTimeoutMs: o["body-timeout"] as number | undefined,
    exposePrometheus: str("expose-prometheus") ?? env("MLFLOW_EXPOSE_PROMETHEUS"),
    auth: await authFlags({
      auth: str("auth") ?? env("MLT_AUTH") ?? "none",
      authUsers: str("auth-users"),
      authTokens: str("auth-tokens"),
      authReadonly: str("auth-readonly"),
      trustedProxies: str("trusted-proxies"),
    }, ctx),
  };
}

/**
 * Runs the server until SIGINT or SIGTERM, then lets in-flight requests finish. `args` (the
 * command line after `server`) starts the copies of `--workers`.
 */
export async function serve(
  flags: ServerFlags,
  ctx: CliContext,
  args: string[] = [],
): Promise<void> {
  const { loadStore } = await import("../store/load.ts");
  const { createApp } = await import("../api/app.ts");
  const { startServer } = await import("../api/serve.ts");
  checkWorkersPossible(flags.workers ?? 1);
  if (flags.artifactsOnly && flags.backendStoreUri) {
    throw new MltError(
      "INVALID_PARAMETER_VALUE",
      "--backend-store-uri cannot be combined with --artifacts-only",
    );
  }
  // Credentials are checked before anything opens, so a bad users file changes nothing.
  const auth = flags.auth
    ? await (await import("../api/auth.ts")).Auth.create({
      users: flags.auth.users,
      tokens: flags.auth.tokens,
      readOnly: flags.auth.readOnly,
      trustedProxies: flags.auth.trustedProxies,
    })
    : undefined;
  const resolved = resolveTrackingUri(ctx, flags.backendStoreUri);
  const storeUri = resolved.uri;
  const { isS3Uri, parseS3Uri, s3ConfigFromEnv, s3UriOf } = await import(
    "../store/s3/s3_config.ts"
  );
  const destination = isS3Uri(flags.artifactsDestination)
    ? s3UriOf(parseS3Uri(flags.artifactsDestination))
    : resolve(ctx.cwd, flags.artifactsDestination);
  const artifactRoot = flags.defaultArtifactRoot ??
    (flags.serveArtifacts ? "mlflow-artifacts:/" : undefined);
  const banner = await import("./server_banner.ts");
  const before = banner.storeBefore(storeUri, ctx.cwd);
  const store = await loadStore(storeUri, { artifactRoot, poolSize: flags.pgPoolSize });
  const registry = flags.artifactsOnly
    ? undefined
    : await (await import("../store/open_registry.ts")).loadRegistryStore(
      flags.registryStoreUri,
      { poolSize: flags.pgPoolSize },
      store,
    );
  const { localArtifactRoots, s3ArtifactRoots } = await import("./server_roots.ts");
  const rootsInput = {
    storeUri: store.uri,
    cwd: ctx.cwd,
    artifactRoot,
    extra: flags.artifactRoots,
  };
  const roots = localArtifactRoots(rootsInput);
  const s3Roots = s3ArtifactRoots(rootsInput);
  for (const r of s3Roots) parseS3Uri(r); // a bad root is an error before the server starts
  // MLflow's variables, read once here and only when something lives in S3.
  const s3 = isS3Uri(destination) || s3Roots.length ? s3ConfigFromEnv(ctx.env) : undefined;
  const ttl = fromEnv(ctx, "MLFLOW_PRESIGNED_DOWNLOAD_URL_TTL_SECONDS", parsePositiveSeconds);
  const prometheus = flags.exposePrometheus
    ? await (await import("./server_metrics.ts"))
      .openPrometheus(flags.exposePrometheus, flags.workers ?? 1, ctx, {
        tracking: store,
        registry,
      })
    : undefined;
  // A Prometheus route label names the route that answered: those need the routes in the app.
  const routes = prometheus ? await import("../api/routes.ts") : undefined;
  const app = createApp({
    metrics: prometheus?.metrics,
    store,
    registry,
    artifactsDestination: destination,
    serveArtifacts: flags.serveArtifacts,
    artifactsOnly: flags.artifactsOnly,
    localArtifactRoots: roots,
    s3,
    s3ArtifactRoots: s3Roots,
    presignedDownloadSeconds: ttl,
    staticPrefix: flags.staticPrefix,
    maxArtifactBytes: flags.maxArtifactSize,
    bodyTimeoutMs: flags.bodyTimeoutMs,
    storeType: store.uri.startsWith("file:") ? "FileStore" : "SqlStore",
    security: {
      enabled: !flags.disableSecurityMiddleware,
      allowedHosts: flags.allowedHosts,
      corsAllowedOrigins: flags.corsAllowedOrigins,
      xFrameOptions: flags.xFrameOptions,
    },
    auth,
  }, routes);
  // The web UI shares the app, so its routes pass the same Host/Origin and auth middleware. Its
  // modules load on the first UI request: an API-only server starts sooner and idles smaller.
  const ui = flags.artifactsOnly
    ? undefined
    : (await import("../../ui/lazy.ts")).mountUiLazily(app, {
      store,
      registry,
      staticPrefix: flags.staticPrefix,
    });
  // A copy started by `--workers` (see server_workers.ts) shares the first process's port.
  const copy = ctx.env(WORKER_ENV) !== undefined;
  const workers = copy ? 1 : flags.workers ?? 1;
  let pool: WorkerPool | undefined;
  let unrecord: (() => Promise<void>) | undefined;
  const stopping = new AbortController();
  let signals = 0;
  const onSignal = () => {
    // The first signal stops gracefully; a second one does not wait any more. A copy leaves
    // that to the first process, which may forward the terminal's Ctrl-C as a SIGTERM too.
    if (++signals > 1) {
      if (copy) return;
      pool?.kill();
      Deno.exit(130);
    }
    ui?.close(); // open live streams would otherwise hold the shutdown
    stopping.abort();
  };
  // Listening before the server exists: a signal during startup stops it right after.
  const names: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of names) Deno.addSignalListener(s, onSignal);
  if (copy) parentGone().then(onSignal);
  try {
    const server = await startServer((req, info) => app.fetch(req, info), {
      hostname: flags.host,
      port: flags.port,
      signal: stopping.signal,
      reusePort: copy || workers > 1,
      limits: { maxConnections: flags.maxConnections, idleTimeoutMs: flags.idleTimeoutMs },
    }).catch((e) => {
      if (String(e).includes("--unstable-net")) {
        throw new MltError(
          "INVALID_PARAMETER_VALUE",
          "--workers needs Deno's --unstable-net for SO_REUSEPORT (deno.json sets it; add it " +
            "to your own `deno run` command line)",
        );
      }
      if (
        !(e instanceof Deno.errors.AddrInUse || e instanceof Deno.errors.PermissionDenied ||
          e instanceof Deno.errors.AddrNotAvailable)
      ) throw e;
      const busy = e instanceof Deno.errors.AddrInUse
        ? " (another server runs there: pick another port with --port, or --port 0 for a free one)"
        : "";
      throw new MltError(
        "INVALID_PARAMETER_VALUE",
        `Cannot listen on ${flags.host}:${flags.port}: ${(e as Error).message}${busy}`,
      );
    });
    if (prometheus) prometheus.metrics.sources.connections = server.connections;
    if (copy) {
      console.log(READY_LINE);
    } else {
      if (workers > 1) {
        // The copies bind the port this process got (which matters for --port 0).
        pool = new WorkerPool(workers, ["server", ...args, "--port", String(server.port)]);
        try {
          await pool.start();
        } catch (e) {
          await server.stop();
          throw e;
        }
        stopping.signal.addEventListener("abort", () => void pool?.stop(), { once: true });
      }
      const how = [
        auth ? "authentication: basic" : "",
        workers > 1 ? `${workers} worker processes` : "",
      ].filter(Boolean).join("; ");
      console.log(
        `mlt ${MLT_VERSION} listening on ${server.url}${how ? ` (${how})` : ""}` +
          ` (MLflow ${MLFLOW_VERSION} API)`,
      );
      const { line, warnings } = await banner.storeBanner(store, resolved, before);
      console.log(line);
      for (const w of warnings) console.error(`warning: ${w}`);
      if (ui) {
        // So that `mlt run` on the same store links to this UI (src/cli/live_servers.ts).
        const { recordServer, storeKey } = await import("./live_servers.ts");
        unrecord = await recordServer(ctx, {
          url: server.url + (flags.staticPrefix ?? ""),
          store: storeKey(storeUri, ctx.cwd),
        });
      }
    }
    await server.finished;
    await pool?.stop();
  } finally {
    for (const s of names) Deno.removeSignalListener(s, onSignal);
    await unrecord?.();
    await prometheus?.close();
    await registry?.close();
    await store.close();
  }
}

// Credentials of --auth basic from the flags' files and MLT_AUTH_USERS / MLT_AUTH_TOKENS.
async function authFlags(
  o: {
    auth: string;
    authUsers?: string;
    authTokens?: string;
    authReadonly?: string;
    trustedProxies?: string;
  },
  ctx: CliContext,
): Promise<AuthFlags | undefined> {
  const usersEnv = ctx.env("MLT_AUTH_USERS");
  const tokensEnv = ctx.env("MLT_AUTH_TOKENS");
  const readonly = o.authReadonly ?? ctx.env("MLT_AUTH_READONLY");
  // The parser checks the flag's choices, not a value taken from MLT_AUTH.
  const kind = o.auth.toLowerCase();
  if (kind !== "basic" && kind !== "none") {
    throw new MltError(
      "INVALID_PARAMETER_VALUE",
      `Unknown --auth / MLT_AUTH "${o.auth}": use none or basic`,
    );
  }
  if (kind !== "basic") {
    const stray = [
      o.authUsers && "--auth-users",
      o.authTokens && "--auth-tokens",
      o.authReadonly && "--auth-readonly",
      o.trustedProxies && "--trusted-proxies",
      usersEnv && "MLT_AUTH_USERS",
      tokensEnv && "MLT_AUTH_TOKENS",
    ].filter(Boolean);
    if (stray.length) {
      // Credentials without --auth basic would leave the server open by mistake.
      throw new MltError(
        "INVALID_PARAMETER_VALUE",
        `${stray.join(", ")} given without --auth basic; add --auth basic (or MLT_AUTH=basic)`,
      );
    }
    return undefined;
  }
  const { parseCredentialLines, parseCredentialList } = await import("../api/auth.ts");
  const read = async (file: string) => {
    const path = resolve(ctx.cwd, file);
    try {
      const info = await Deno.stat(path);
      if (info.mode !== null && (info.mode & 0o077) !== 0) {
        console.error(`warning: ${file} can be read by other users; chmod 600 it`);
      }
      return await Deno.readTextFile(path);
    } catch (e) {
      throw new MltError(
        "INVALID_PARAMETER_VALUE",
        `Cannot read credentials file "${file}": ${(e as Error).message}`,
      );
    }
  };
  return {
    users: [
      ...(o.authUsers ? parseCredentialLines(await read(o.authUsers), o.authUsers) : []),
      ...(usersEnv ? parseCredentialList(usersEnv, "MLT_AUTH_USERS") : []),
    ],
    tokens: [
      ...(o.authTokens ? parseCredentialLines(await read(o.authTokens), o.authTokens) : []),
      ...(tokensEnv ? parseCredentialList(tokensEnv, "MLT_AUTH_TOKENS") : []),
    ],
    readOnly: list(readonly ?? ""),
    trustedProxies: list(o.trustedProxies ?? ""),
  };
}

// `--hash-password`: one line from stdin → a werkzeug-format PBKDF2-SHA256 hash on stdout.
async function printPasswordHash(): Promise<void> {
  const { hashPassword } = await import("../api/passwords.ts");
  // The first line only, so a terminal needs no end-of-file.
  let text = "";
  const reader = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();
  while (!text.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) break;
    text += value;
  }
  reader.releaseLock();
  const password = text.split(/\r?\n/)[0];
  if (password === "") throw new MltError("INVALID_PARAMETER_VALUE", "The password is empty");
  console.log(await hashPassword(password));
}
