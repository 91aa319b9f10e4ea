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
  /** `--auth basic`: credentials already gathered at the CLI edge. */
  auth?: AuthFlags;
}

/** `--auth basic` settings: credentials from files and variables, read-only names. */
export interface AuthFlags {
  users: [string, string][];
  tokens: [string, string][];
  readOnly: string[];
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
    .addOption(
      new Option("--auth <kind>", "authentication: none (default) or basic")
        .choices(["none", "basic"]).default(env("MLT_AUTH") || "none"),
    )
    .option(
      "--auth-users <file>",
      "with --auth basic: 'user:password' lines (plain or PBKDF2 hash); also MLT_AUTH_USERS",
    )
    .option(
      "--auth-tokens <file>",
      "with --auth basic: 'name:token' lines for bearer tokens; also MLT_AUTH_TOKENS",
    )
    .option("--auth-readonly <list>", "comma-separated users and token names that may only read")
    .option("--hash-password", "read a password on stdin, print its PBKDF2 hash, and exit")
    .option("--gunicorn-opts <opts>", "accepted and ignored")
    .option("--uvicorn-opts <opts>", "accepted and ignored")
    .option("--waitress-opts <opts>", "accepted and ignored")
    .action(async (o) => {
      if (o.hashPassword) return await printPasswordHash();
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
        auth: await authFlags(o, ctx),
      }, ctx);
    });
}

/** Runs the server until SIGINT or SIGTERM, then lets in-flight requests finish. */
export async function serve(flags: ServerFlags, ctx: CliContext): Promise<void> {
  const { openStore } = await import("../store/open.ts");
  const { createApp } = await import("../api/app.ts");
  const { startServer } = await import("../api/serve.ts");
  const { trackingUri } = await import("./context.ts");
  const { MltError } = await import("../errors.ts");
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
    })
    : undefined;
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
    auth,
  });
  // The web UI shares the app, so its routes pass the same Host/Origin and auth middleware. Its
  // modules load on the first UI request: an API-only server starts sooner and idles smaller.
  const ui = flags.artifactsOnly
    ? undefined
    : (await import("../../ui/lazy.ts")).mountUiLazily(app, {
      store,
      staticPrefix: flags.staticPrefix,
    });
  if ((flags.workers ?? 1) > 1) {
    console.error(`mlt serves from one process; --workers ${flags.workers} is ignored`);
  }
  const stopping = new AbortController();
  let signals = 0;
  const onSignal = () => {
    // The first signal stops gracefully; a second one does not wait any more.
    if (++signals > 1) Deno.exit(130);
    ui?.close(); // open live streams would otherwise hold the shutdown
    stopping.abort();
  };
  // Listening before the server exists: a signal during startup stops it right after.
  const names: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of names) Deno.addSignalListener(s, onSignal);
  try {
    const server = await startServer((req, info) => app.fetch(req, info), {
      hostname: flags.host,
      port: flags.port,
      signal: stopping.signal,
      onListen: ({ hostname, port }) => {
        const h = hostname.includes(":") ? `[${hostname}]` : hostname;
        const how = auth ? " (authentication: basic)" : "";
        console.log(`mlt ${denoJson.version} listening on http://${h}:${port}${how}`);
      },
    }).catch((e) => {
      if (
        !(e instanceof Deno.errors.AddrInUse || e instanceof Deno.errors.PermissionDenied ||
          e instanceof Deno.errors.AddrNotAvailable)
      ) throw e;
      throw new MltError(
        "INVALID_PARAMETER_VALUE",
        `Cannot listen on ${flags.host}:${flags.port}: ${(e as Error).message}`,
      );
    });
    await server.finished;
  } finally {
    for (const s of names) Deno.removeSignalListener(s, onSignal);
    await store.close();
  }
}

// Credentials of --auth basic from the flags' files and MLT_AUTH_USERS / MLT_AUTH_TOKENS.
async function authFlags(
  o: { auth: string; authUsers?: string; authTokens?: string; authReadonly?: string },
  ctx: CliContext,
): Promise<AuthFlags | undefined> {
  const { MltError } = await import("../errors.ts");
  const usersEnv = ctx.env("MLT_AUTH_USERS");
  const tokensEnv = ctx.env("MLT_AUTH_TOKENS");
  const readonly = o.authReadonly ?? ctx.env("MLT_AUTH_READONLY");
  // commander checks the flag's choices, not a default taken from MLT_AUTH.
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
  };
}

// `--hash-password`: one line from stdin → a werkzeug-format PBKDF2-SHA256 hash on stdout.
async function printPasswordHash(): Promise<void> {
  const { hashPassword } = await import("../api/passwords.ts");
  const { MltError } = await import("../errors.ts");
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

/** Registers `mlt server`. */
export function serverCommand(program: Command, ctx: CliContext): void {
  register("server", program, ctx);
}

/** Registers `mlt ui`. */
export function uiCommand(program: Command, ctx: CliContext): void {
  register("ui", program, ctx);
}
