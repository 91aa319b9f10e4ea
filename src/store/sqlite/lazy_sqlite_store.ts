/**
 * The SQLite store as `mlt server` opens it: the database is opened and checked at start (a bad
 * file or schema is an error before the server listens), and the rest of the store
 * (sqlite_store.ts: validation, writes, reads, searches, logged models, import) loads with its
 * first call, over the same connections. A server that has just started answers `/health` and
 * its banner without it (docs/startup.md).
 */
import { forwardCalls, lazyModule } from "../../lazy_module.ts";
import type { ImportTarget } from "../migrate.ts";
import type { StoreSummary, TrackingStore } from "../store.ts";
import type { Connections } from "./connection.ts";
import { openSqlite, type SqliteStoreOptions, storeSummary } from "./sqlite_open.ts";
import type { SqliteStore } from "./sqlite_store.ts";

// Members the opener answers itself; every other public member of SqliteStore is forwarded.
type Own = "uri" | "path" | "import" | "connections" | "readOnlyReason" | "summary" | "close";

// SqliteStore's calls (a member SqliteStore lacks must stay absent: callers test for them).
const CALLS = [
  "createExperiment",
  "getExperiment",
  "getExperimentByName",
  "searchExperiments",
  "renameExperiment",
  "deleteExperiment",
  "restoreExperiment",
  "setExperimentTag",
  "deleteExperimentTag",
  "createRun",
  "getRun",
  "updateRun",
  "deleteRun",
  "restoreRun",
  "searchRuns",
  "logMetric",
  "logParam",
  "setTag",
  "deleteTag",
  "logBatch",
  "getMetricHistory",
  "logInputs",
  "logOutputs",
  "deletedRunIds",
  "hardDeleteRun",
  "hardDeleteExperiment",
  "createLoggedModel",
  "getLoggedModel",
  "finalizeLoggedModel",
  "deleteLoggedModel",
  "setLoggedModelTags",
  "deleteLoggedModelTag",
  "logLoggedModelParams",
  "searchLoggedModels",
  "deletedLoggedModelIds",
  "hardDeleteLoggedModel",
] as const satisfies readonly (keyof SqliteStore)[];

// Fails to compile when SqliteStore gains a public member that is neither forwarded nor own.
type Unforwarded = Exclude<keyof SqliteStore, (typeof CALLS)[number] | Own>;
const complete: [Unforwarded] extends [never] ? true : Unforwarded = true;
void complete;

// ImportTarget's calls (`mlt migrate` into a SQLite store).
const IMPORT_CALLS = ["putExperiment", "putRun", "putLoggedModel"] as const satisfies readonly (
  keyof ImportTarget
)[];
type UnforwardedImport = Exclude<
  keyof ImportTarget,
  (typeof IMPORT_CALLS)[number] | "mergesDuplicatePoints"
>;
const completeImport: [UnforwardedImport] extends [never] ? true : UnforwardedImport = true;
void completeImport;

/** The members a lazily loaded SQLite store has before its first call. */
export type LazySqliteStore = TrackingStore & Pick<SqliteStore, Own>;

/** Opens the SQLite database `uri` names now; the store's code loads with its first call. */
export function lazySqliteStore(uri: string, opts: SqliteStoreOptions = {}): LazySqliteStore {
  const opened = openSqlite(uri, opts);
  const db: Connections = opened.db;
  const full = lazyModule(async () =>
    new (await import("./sqlite_store.ts")).SqliteStore(uri, opts, opened)
  );
  // SqliteImport's property, which the opener knows without loading it (SQLite's primary key).
  const importer: Record<string, unknown> = { mergesDuplicatePoints: true };
  forwardCalls(importer, IMPORT_CALLS, async () => (await full()).import);
  const store: Record<string, unknown> = {
    uri: opened.uri,
    path: opened.path,
    import: importer,
    connections: db,
    summary: (): Promise<StoreSummary> => storeSummary(db),
    close: (): Promise<void> => {
      db.close();
      return Promise.resolve();
    },
  };
  Object.defineProperty(store, "readOnlyReason", { get: () => db.readOnlyReason });
  forwardCalls(store, CALLS, full);
  return store as unknown as LazySqliteStore;
}
