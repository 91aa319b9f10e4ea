/**
 * The options of `mlt server` / `mlt ui` as one table, read by two consumers: commander prints
 * the help from it (src/cli/server_command.ts), and `parseServerArgs` parses a command line by it.
 * Starting a server loads neither commander nor `node:util`'s parseArgs: any Node module makes Deno
 * set up Node compatibility, which costs start-up time and idle memory (issue 4, B8/B9).
 */
import { closest } from "../suggest.ts";
import { UsageError } from "./context.ts";

/** One option: its long name, short letter, value name (absent for a switch) and help line. */
export interface ServerOption {
  long: string;
  short?: string;
  value?: string;
  description: string;
  /** Checks and converts the value; throws a message for commander's and our error line. */
  parse?: (v: string) => unknown;
  choices?: string[];
  /** May be given more than once; the values are collected in a list. */
  multiple?: boolean;
}

/** `--port` and MLFLOW_PORT: 0 to 65535. */
export function parsePort(v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new Error("expected a port number from 0 to 65535");
  }
  return n;
}

/** A positive integer option (`--workers`, `--pg-pool-size`). */
export function parsePositive(v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isInteger(n) || n < 1) {
    throw new Error("expected a positive integer");
  }
  return n;
}

// Seconds as a positive number (fractions allowed), returned in milliseconds.
function parseSeconds(v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n <= 0) {
    throw new Error("expected a positive number of seconds");
  }
  return Math.round(n * 1000);
}

/** `--static-prefix`: a path prefix such as `/mlflow`. */
export function parsePrefix(v: string): string {
  if (!v.startsWith("/") || v.endsWith("/")) {
    throw new Error("the static prefix must start with '/' and not end with '/'");
  }
  return v;
}

/** Every option of `mlt server` and `mlt ui`, in help order. */
export const SERVER_OPTIONS: readonly ServerOption[] = [
  {
    long: "host",
    short: "h",
    value: "host",
    description:
      "address to bind (not a security setting; default 127.0.0.1, or MLFLOW_HOST); -h alone " +
      "prints this help",
  },
  {
    long: "port",
    short: "p",
    value: "port",
    description: "port to listen on (0 picks a free one; default 5000, or MLFLOW_PORT)",
    parse: parsePort,
  },
  {
    long: "backend-store-uri",
    value: "uri",
    description:
      "tracking store (default: MLFLOW_TRACKING_URI, else ./mlruns or ./mlflow.db as MLflow picks)",
  },
  {
    long: "registry-store-uri",
    value: "uri",
    description:
      "model registry store (default: MLFLOW_REGISTRY_STORE_URI, else the backend store)",
  },
  { long: "default-artifact-root", value: "uri", description: "artifact root of new experiments" },
  {
    long: "artifact-root",
    value: "uri",
    description: "another local folder or s3://bucket/prefix whose run artifacts may be served " +
      "(repeatable)",
    multiple: true,
  },
  { long: "serve-artifacts", description: "serve the mlflow-artifacts proxy (default)" },
  { long: "no-serve-artifacts", description: "do not serve the mlflow-artifacts proxy" },
  {
    long: "artifacts-destination",
    value: "uri",
    description: "where proxied artifacts are stored: a folder or s3://bucket/prefix " +
      "(default ./mlartifacts)",
  },
  { long: "artifacts-only", description: "serve only the artifacts proxy" },
  {
    long: "allowed-hosts",
    value: "list",
    description: "comma-separated Host patterns to accept besides localhost",
  },
  {
    long: "cors-allowed-origins",
    value: "list",
    description: "comma-separated origins allowed cross-origin",
  },
  {
    long: "disable-security-middleware",
    description: "turn the Host, Origin and header checks off",
  },
  { long: "x-frame-options", value: "value", description: "SAMEORIGIN (default), DENY or NONE" },
  {
    long: "static-prefix",
    value: "prefix",
    description: "prefix of the UI and ajax routes",
    parse: parsePrefix,
  },
  {
    long: "pg-pool-size",
    value: "n",
    description:
      "PostgreSQL stores: connections in each process's pool (default 10, or MLT_PG_POOL_SIZE)",
    parse: parsePositive,
  },
  {
    long: "workers",
    short: "w",
    value: "n",
    description: "processes serving the one port (default 1; SO_REUSEPORT, Linux)",
    parse: parsePositive,
  },
  {
    long: "max-artifact-size",
    value: "bytes",
    description: "largest artifact upload",
    parse: parsePositive,
  },
  {
    long: "max-connections",
    value: "n",
    description: "most open connections (default 1000, lowered to fit the open-file limit)",
    parse: parsePositive,
  },
  {
    long: "idle-timeout",
    value: "seconds",
    description: "close a connection with no request in progress after this long (default 30)",
    parse: parseSeconds,
  },
  {
    long: "body-timeout",
    value: "seconds",
    description: "time a JSON or form body may take, or an upload may pause (default 60)",
    parse: parseSeconds,
  },
  {
    long: "expose-prometheus",
    value: "dir",
    description: "serve /metrics; --workers processes share their counts in dir (created if " +
      "missing; also MLFLOW_EXPOSE_PROMETHEUS)",
  },
  {
    long: "auth",
    value: "kind",
    description: "authentication: none (default, or MLT_AUTH) or basic",
    choices: ["none", "basic"],
  },
  {
    long: "auth-users",
    value: "file",
    description:
      "with --auth basic: 'user:password' lines (plain or PBKDF2 hash); also MLT_AUTH_USERS",
  },
  {
    long: "auth-tokens",
    value: "file",
    description: "with --auth basic: 'name:token' lines for bearer tokens; also MLT_AUTH_TOKENS",
  },
  {
    long: "auth-readonly",
    value: "list",
    description: "comma-separated users and token names that may only read",
  },
  {
    long: "trusted-proxies",
    value: "list",
    description: "with --auth basic: proxy addresses whose X-Forwarded-For names the client",
  },
  {
    long: "hash-password",
    description: "read a password on stdin, print its PBKDF2 hash, and exit",
  },
  { long: "gunicorn-opts", value: "opts", description: "accepted and ignored" },
  { long: "uvicorn-opts", value: "opts", description: "accepted and ignored" },
  { long: "waitress-opts", value: "opts", description: "accepted and ignored" },
];

/**
 * True when a server command line asks for help: `--help`, or `-h` without a value after it.
 * `-h <address>` stays MLflow's `--host`, so MLflow's command lines keep working.
 */
export function wantsHelp(args: readonly string[]): boolean {
  const h = args.indexOf("-h");
  return args.includes("--help") ||
    (h >= 0 && (h === args.length - 1 || args[h + 1].startsWith("-")));
}

/** commander's spelling of an option: `-p, --port <port>`. */
export function optionFlags(o: ServerOption): string {
  return `${o.short ? `-${o.short}, ` : ""}--${o.long}${o.value ? ` <${o.value}>` : ""}`;
}

// " (did you mean --port?)" for "Unknown option '--prot'", as commander says for its commands.
function didYouMean(message: string): string {
  const long = /^Unknown option '--([^'=]+)'/.exec(message)?.[1];
  const meant = long && closest(long, SERVER_OPTIONS.map((o) => o.long));
  return meant ? ` (did you mean --${meant}?)` : "";
}

/** Parsed values, keyed by long name; converted by each option's `parse`. */
export type ServerArgs = Record<string, unknown>;

type RawValues = Record<string, string | string[] | boolean>;

// The table's options, strictly: `--name value`, `--name=value`, `-x value`, `-xvalue`; a switch
// takes no value; a value may not start with "-" unless given after "="; no positional arguments.
function readArgs(args: readonly string[]): RawValues {
  const values: RawValues = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--" || !arg.startsWith("-") || arg === "-") {
      const extra = arg === "--" ? args[i + 1] : arg;
      if (extra === undefined) break;
      throw new Error(`Unexpected argument '${extra}': the command takes no positional arguments`);
    }
    const long = arg.startsWith("--");
    const eq = long ? arg.indexOf("=") : -1;
    const name = long ? (eq < 0 ? arg : arg.slice(0, eq)) : arg.slice(0, 2);
    const o = SERVER_OPTIONS.find((o) => long ? `--${o.long}` === name : `-${o.short}` === name);
    if (!o) throw new Error(`Unknown option '${name}'`);
    let v: string | undefined = long
      ? (eq < 0 ? undefined : arg.slice(eq + 1))
      : (arg.length > 2 ? arg.slice(2) : undefined);
    if (!o.value) {
      if (v !== undefined) throw new Error(`Option '${optionFlags(o)}' does not take an argument`);
      values[o.long] = true;
      continue;
    }
    if (v === undefined) {
      v = args[i + 1];
      if (v === undefined || v.startsWith("-")) {
        throw new Error(`Option '${optionFlags(o)}' argument missing`);
      }
      i++;
    }
    if (o.multiple) ((values[o.long] ??= []) as string[]).push(v);
    else values[o.long] = v;
  }
  return values;
}

/** Parses the arguments after `server` / `ui`; a mistake is a UsageError naming the option. */
export function parseServerArgs(args: string[]): ServerArgs {
  let values: RawValues;
  try {
    values = readArgs(args);
  } catch (e) {
    // main.ts adds the --help hint.
    const first = (e as Error).message;
    throw new UsageError(first.charAt(0).toLowerCase() + first.slice(1) + didYouMean(first));
  }
  const out: ServerArgs = {};
  for (const o of SERVER_OPTIONS) {
    const v = values[o.long];
    if (v === undefined) continue;
    if (typeof v === "string" && o.choices && !o.choices.includes(v)) {
      throw new UsageError(
        `option '${optionFlags(o)}' argument '${v}' is invalid. Allowed choices are ${
          o.choices.join(", ")
        }.`,
      );
    }
    try {
      out[o.long] = typeof v === "string" && o.parse ? o.parse(v) : v;
    } catch (e) {
      throw new UsageError(
        `option '${optionFlags(o)}' argument '${v}' is invalid. ${(e as Error).message}`,
      );
    }
  }
  return out;
}
