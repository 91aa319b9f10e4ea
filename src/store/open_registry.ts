/**
 * `loadRegistryStore`: the model registry a URI names, loading only its implementation (as
 * load.ts does for tracking stores). MLflow's rule: no registry URI means the tracking URI. A
 * SQLite or PostgreSQL registry on the tracking store's own database shares its connections.
 */
import { lazyRegistry } from "./lazy_registry.ts";
import { storeLocation } from "./open_uri.ts";
import type { ModelRegistryStore } from "./registry.ts";
import type { StoreOptions, TrackingStore } from "./store.ts";
import type { Connections } from "./sqlite/connection.ts";
import type { PgDb } from "./postgres/pg_db.ts";

/** Opens the registry `uri` names (the tracking store's URI when absent). */
export async function loadRegistryStore(
  uri: string | undefined,
  opts: StoreOptions = {},
  tracking?: TrackingStore,
): Promise<ModelRegistryStore> {
  const at = storeLocation(uri ?? tracking?.uri);
  if (at.kind === "file") {
    return new (await import("./file/registry_store.ts")).FileRegistryStore(at.root, opts);
  }
  if (at.kind === "sqlite") {
    const shared = tracking?.uri === at.uri
      ? (tracking as { connections?: Connections }).connections
      : undefined;
    const open = async () =>
      new (await import("./sqlite/registry_store.ts")).SqliteRegistryStore(at.uri, opts, shared);
    // On the tracking store's connections nothing can fail at start: load it when first used.
    return shared ? lazyRegistry(at.uri, open) : await open();
  }
  if (at.kind === "postgres") {
    const shared = tracking?.uri === at.uri
      ? (tracking as { database?: PgDb }).database
      : undefined;
    const open = async () =>
      new (await import("./postgres/pg_registry.ts")).PgRegistryStore(at.uri, opts, shared);
    return shared ? lazyRegistry(at.uri, open) : await open();
  }
  return new (await import("./rest/registry_rest.ts")).RestRegistryStore(at.uri, opts);
}
