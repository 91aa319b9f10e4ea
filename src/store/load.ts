/**
 * `loadStore`: `openStore` for commands that care about start-up (`mlt server`, `mlt run`). It
 * imports only the implementation the URI names, so a SQLite server never loads the file store
 * and the other way round (less to compile at start, less resident memory while idle).
 */
import { storeLocation } from "./open_uri.ts";
import type { StoreOptions, TrackingStore } from "./store.ts";

/** Opens the store a tracking URI names, loading only its implementation. */
export async function loadStore(
  uri: string | undefined,
  opts: StoreOptions = {},
): Promise<TrackingStore> {
  const at = storeLocation(uri);
  if (at.kind === "file") {
    return new (await import("./file/file_store.ts")).FileStore(at.root, opts);
  }
  if (at.kind === "sqlite") {
    // Opened and checked now; the store's code loads with its first call (lazy_sqlite_store.ts).
    return (await import("./sqlite/lazy_sqlite_store.ts")).lazySqliteStore(at.uri, opts);
  }
  if (at.kind === "postgres") {
    const store = new (await import("./postgres/pg_store.ts")).PgStore(at.uri, opts);
    try {
      await store.open(); // a bad URI or an unreachable server is reported at start, not later
    } catch (e) {
      await store.close();
      throw e;
    }
    return store;
  }
  return new (await import("./rest/rest_store.ts")).RestStore(at.uri, opts);
}
