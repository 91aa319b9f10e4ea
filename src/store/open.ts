/**
 * Turns a tracking URI into a store. The only module that imports store implementations.
 */
import { fileURLToPath } from "node:url";
import { invalidParam } from "../errors.ts";
import { FileStore } from "./file/file_store.ts";
import { RestStore } from "./rest/rest_store.ts";
import { SqliteStore } from "./sqlite/sqlite_store.ts";
import type { StoreOptions, TrackingStore } from "./store.ts";

/** The file store's default root, relative to the working directory. */
export const DEFAULT_STORE_PATH = "./mlruns";

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.\-]*):/;

/** The local directory a plain path or `file:` URI names. */
export function fileUriToPath(uri: string): string {
  const rest = uri.slice("file:".length);
  if (!rest.startsWith("//")) return decodeURIComponent(rest); // file:relative/path
  try {
    return fileURLToPath(uri);
  } catch (e) {
    throw invalidParam(`Invalid file URI "${uri}": ${(e as Error).message}`);
  }
}

/**
 * Opens the store a tracking URI names: nothing, a plain path or a `file:` URI → FileStore
 * (default `./mlruns`); `sqlite:///relative.db` / `sqlite:////abs.db` → SqliteStore; `http(s):` →
 * RestStore (MLflow's REST API; credentials and retries from `opts.http`).
 */
export function openStore(
  uri: string | undefined,
  opts: StoreOptions = {},
): TrackingStore {
  if (uri === undefined || uri.trim() === "") {
    return new FileStore(DEFAULT_STORE_PATH, opts);
  }
  const scheme = SCHEME.exec(uri)?.[1].toLowerCase();
  if (scheme === undefined) return new FileStore(uri, opts);
  if (scheme === "file") return new FileStore(fileUriToPath(uri), opts);
  if (scheme === "sqlite") return new SqliteStore(uri, opts);
  if (scheme === "http" || scheme === "https") return new RestStore(uri, opts);
  throw invalidParam(
    `Cannot open tracking URI "${uri}": unknown scheme "${scheme}"; expected a local path, ` +
      "a file: URI, sqlite: or http(s):",
  );
}
