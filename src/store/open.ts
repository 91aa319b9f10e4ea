/**
 * Turns a tracking URI into a store, with every implementation imported up front (the client and
 * most commands); `loadStore` (load.ts) imports only the one a URI names.
 */
import { FileStore } from "./file/file_store.ts";
import { storeLocation } from "./open_uri.ts";
import { RestStore } from "./rest/rest_store.ts";
import { SqliteStore } from "./sqlite/sqlite_store.ts";
import { PgStore } from "./postgres/pg_store.ts";
import type { StoreOptions, TrackingStore } from "./store.ts";

/** Opens the store a tracking URI names (see `storeLocation`). */
export function openStore(uri: string | undefined, opts: StoreOptions = {}): TrackingStore {
  const at = storeLocation(uri);
  if (at.kind === "file") return new FileStore(at.root, opts);
  if (at.kind === "sqlite") return new SqliteStore(at.uri, opts);
  if (at.kind === "postgres") return new PgStore(at.uri, opts);
  return new RestStore(at.uri, opts);
}
