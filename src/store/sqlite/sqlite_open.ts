/**
 * Opening a SQLite store: its file, defaults and connections, and the two reads a server's start
 * needs (the banner's summary). A server loads this at start and the rest of the store
 * (sqlite_store.ts: validation, writes, reads, logged models, import) with its first call
 * (lazy_sqlite_store.ts), so nothing here may import those.
 */
import { resolve } from "../../posix_path.ts";
import { type Clock, systemClock } from "../../ids.ts";
import { DEFAULT_EXPERIMENT_ID } from "../../model.ts";
import type { StoreOptions, StoreSummary } from "../store.ts";
import { appendUriPath, resolveUriIfLocal } from "../file/layout.ts";
import { Connections, sqlitePath, type Statements } from "./connection.ts";

/** Options of the SQLite store. */
export interface SqliteStoreOptions extends StoreOptions {
  /** How long a write waits for another process's lock before 503 (default 20000 ms, as MLflow). */
  busyTimeoutMs?: number;
  /** Directory that relative paths (database, artifact root) resolve against (default: cwd). */
  cwd?: string;
}

/** An open SQLite store's settings and connections, shared by its lazy and full forms. */
export interface OpenSqlite {
  uri: string;
  /** The database file (`:memory:` for an in-memory database). */
  path: string;
  cwd: string;
  clock: Clock;
  truncate: boolean;
  /** Where new experiments' artifacts go, as an absolute plain path for local roots. */
  artifactRoot: string;
  db: Connections;
}

/** Opens the database `uri` names (creating or checking MLflow's schema: connection.ts). */
export function openSqlite(uri: string, opts: SqliteStoreOptions = {}): OpenSqlite {
  const cwd = opts.cwd ?? Deno.cwd();
  const raw = sqlitePath(uri);
  const path = raw === ":memory:" ? raw : resolve(cwd, raw);
  const clock = opts.clock ?? systemClock;
  // MLflow's SQL store default: ./mlruns as an absolute plain path.
  const artifactRoot = resolveUriIfLocal(opts.artifactRoot ?? "./mlruns", cwd);
  const db = new Connections(path, {
    uri,
    busyTimeoutMs: opts.busyTimeoutMs ?? 20000,
    warn: opts.warn ?? console.warn,
    now: clock,
    defaultLocation: () => appendUriPath(artifactRoot, DEFAULT_EXPERIMENT_ID),
  });
  return { uri, path, cwd, clock, truncate: opts.truncateLongValues ?? true, artifactRoot, db };
}

// `fn`'s value, or its failure as a rejected promise (never a throw).
function settled<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Runs `fn` on the reader; a failure is a rejected promise, never a throw. */
export function readAsync<T>(db: Connections, fn: (r: Statements) => T): Promise<T> {
  return settled(() => db.read(fn));
}

/**
 * The active experiments and whether any of them holds a run (the server's start banner), read
 * on the writer when it is free: a server's start then never opens the reader.
 */
export function storeSummary(db: Connections): Promise<StoreSummary> {
  return settled(() =>
    db.readOnWriter((r) => {
      const count = r.one<{ n: number }>(
        "SELECT count(*) AS n FROM experiments WHERE lifecycle_stage = 'active'",
      );
      const run = r.one(
        "SELECT 1 AS x FROM runs AS r JOIN experiments AS e ON e.experiment_id = " +
          "r.experiment_id WHERE e.lifecycle_stage = 'active' LIMIT 1",
      );
      return { experiments: count?.n ?? 0, hasRuns: run !== undefined };
    })
  );
}
