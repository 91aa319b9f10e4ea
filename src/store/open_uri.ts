/**
 * How a tracking URI names a store, without importing any store: shared by `openStore` (open.ts)
 * and the lazily importing `loadStore` (load.ts).
 */
import { fileURLToPath, isAbsolute, pathToFileURL, resolve } from "../posix_path.ts";
import { invalidParam } from "../errors.ts";
import { defaultStore } from "./default_uri.ts";

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.\-]*):/;

// The local directory a plain path or `file:` URI names.
function fileUriToPath(uri: string): string {
  const rest = uri.slice("file:".length);
  if (!rest.startsWith("//")) return decodeURIComponent(rest); // file:relative/path
  try {
    return fileURLToPath(uri);
  } catch (e) {
    throw invalidParam(`Invalid file URI "${uri}": ${(e as Error).message}`);
  }
}

/** The database file a `sqlite:` URI names (`:memory:` for `sqlite://` and `sqlite:///:memory:`). */
export function sqlitePath(uri: string): string {
  const m = /^sqlite:\/\/([^/?#]*)(\/[^?#]*)?(\?.*)?$/i.exec(uri);
  if (!m || (m[1] !== "" && m[1] !== "localhost")) {
    throw invalidParam(
      `Invalid SQLite URI "${uri}": use sqlite:///relative/path.db or sqlite:////absolute/path.db`,
    );
  }
  const rest = decodeURIComponent(m[2] ?? "");
  if (rest === "" || rest === "/" || rest === "/:memory:") return ":memory:";
  return rest.slice(1); // sqlite:///x.db → "x.db" (relative), sqlite:////x.db → "/x.db"
}

/** Which store a tracking URI names, and the path or URI its constructor takes. */
export type StoreLocation =
  | { kind: "file"; root: string }
  | { kind: "sqlite"; uri: string }
  | { kind: "postgres"; uri: string }
  | { kind: "rest"; uri: string };

// SQLAlchemy's spellings of PostgreSQL URIs (driver suffixes), and libpq's short one.
const POSTGRES_SCHEMES = ["postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"];

/**
 * A URI as it may be printed: the password of its user info (`//user:secret@host`) and of a
 * `password=` query parameter replaced by `***`. Every message, banner and log line that shows a
 * store URI shows this.
 */
export function displayUri(uri: string): string {
  return uri
    .replace(/^([a-zA-Z][a-zA-Z0-9+.\-]*:\/\/[^/?#@:]*):[^/?#@]*@/, "$1:***@")
    .replace(/([?&]password=)[^&#]*/gi, "$1***");
}

/**
 * Reads a tracking URI: a plain path or a `file:` URI → the file store; `sqlite:///relative.db` /
 * `sqlite:////abs.db` → SQLite; `postgresql://` (also `+psycopg2`, `+psycopg`) → PostgreSQL;
 * `http(s):` → MLflow's REST API; nothing → the working folder's default store (default_uri.ts).
 * Anything else is refused.
 */
export function storeLocation(uri: string | undefined): StoreLocation {
  if (uri === undefined || uri.trim() === "") return storeLocation(defaultStore(Deno.cwd()).uri);
  const scheme = SCHEME.exec(uri)?.[1].toLowerCase();
  if (scheme === undefined) return { kind: "file", root: uri };
  if (scheme === "file") return { kind: "file", root: fileUriToPath(uri) };
  if (scheme === "sqlite") return { kind: "sqlite", uri };
  if (POSTGRES_SCHEMES.includes(scheme)) return { kind: "postgres", uri };
  if (scheme === "http" || scheme === "https") return { kind: "rest", uri };
  throw invalidParam(
    `Cannot open tracking URI "${displayUri(uri)}": unknown scheme "${scheme}"; expected a ` +
      "local path, a file: URI, sqlite:, postgresql: or http(s):",
  );
}

/**
 * `storeUri` made absolute against `cwd`, usable by any Python client version: the tracking URI
 * a run's child process gets, and the key a server's record is found by (live_servers.ts).
 */
export function absoluteStoreUri(storeUri: string, cwd: string): string {
  if (/^file:\/\//i.test(storeUri)) return pathToFileURL(fileURLToPath(storeUri)).href;
  if (/^file:/i.test(storeUri)) return pathToFileURL(resolve(cwd, storeUri.slice(5))).href;
  const sqlite = /^sqlite:\/\/\/(.*)$/i.exec(storeUri);
  if (sqlite) {
    const p = sqlite[1];
    return isAbsolute(p) || p === ":memory:" || p === ""
      ? storeUri
      : `sqlite:///${resolve(cwd, p)}`;
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(storeUri)) return storeUri;
  return pathToFileURL(resolve(cwd, storeUri)).href;
}
