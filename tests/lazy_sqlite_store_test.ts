/**
 * The SQLite store as `mlt server` opens it (loadStore → lazy_sqlite_store.ts): the database is
 * opened and checked at once, the store's code loads with the first call. It passes the same
 * contracts as SqliteStore, has exactly its members, refuses bad databases at open, and takes a
 * migration through its lazily loaded importer.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { lazySqliteStore } from "../src/store/sqlite/lazy_sqlite_store.ts";
import { SqliteStore } from "../src/store/sqlite/sqlite_store.ts";
import { loadStore } from "../src/store/load.ts";
import { FileStore } from "../src/store/file/file_store.ts";
import { migrate } from "../src/store/migrate.ts";
import { fakeClock, rejectsWith, storeContract } from "./store_contract.ts";
import { loggedModelContract } from "./logged_model_contract.ts";

async function fresh() {
  const dir = await Deno.makeTempDir({ prefix: "mlt-lazy-sqlite-" });
  const store = lazySqliteStore(`sqlite:///${join(dir, "mlflow.db")}`, {
    clock: fakeClock(),
    warn: () => {},
    artifactRoot: join(dir, "artifacts"),
  });
  return { dir, store, cleanup: () => Deno.remove(dir, { recursive: true }) };
}

storeContract("sqlite (lazy)", fresh, {
  "getMetricHistory() returns every point in logging order, paged":
    "MLflow's metrics primary key keeps one copy of an exactly repeated point (sqlite_store_test)",
});
loggedModelContract("sqlite (lazy)", fresh);

// Every member name on an object and its prototypes, with typeof (what duck-typed callers see).
function shape(o: object): Record<string, string> {
  const out: Record<string, string> = {};
  for (let p: object | null = o; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const k of Object.getOwnPropertyNames(p)) {
      if (k !== "constructor" && !(k in out)) {
        out[k] = typeof (o as Record<string, unknown>)[k];
      }
    }
  }
  return out;
}

Deno.test("the lazy SQLite store has SqliteStore's members, before and after its first call", async () => {
  const { dir, store, cleanup } = await fresh();
  const full = new SqliteStore(`sqlite:///${join(dir, "other.db")}`, { warn: () => {} });
  try {
    // modelContext is protected: SqliteStore's own business, as the importer's `db` below.
    const { modelContext: _m, ...want } = shape(full);
    assert.deepEqual(shape(store), want);
    // The importer's calls (SqliteImport's `db` is its own business).
    const { db: _d, ...importer } = shape(full.import);
    assert.deepEqual(shape(store.import), importer);
    assert.equal(store.import.mergesDuplicatePoints, full.import.mergesDuplicatePoints);
    assert.deepEqual(await store.summary(), { experiments: 1, hasRuns: false });
    assert.equal(store.readOnlyReason, undefined);
    const id = await store.createExperiment("e");
    assert.equal((await store.getExperiment(id)).name, "e");
    assert.deepEqual(await store.summary(), { experiments: 2, hasRuns: false });
    assert.deepEqual(shape(store), want);
  } finally {
    await full.close();
    await store.close();
    await cleanup();
  }
});

Deno.test("loadStore opens a SQLite store lazily and still refuses a bad database at once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-lazy-sqlite-" });
  try {
    const bad = join(dir, "bad.db");
    await Deno.writeTextFile(bad, "not a database at all, but long enough to hold a header");
    await rejectsWith(loadStore(`sqlite:///${bad}`), "INVALID_PARAMETER_VALUE", "not an SQLite");
    // A missing directory: one clear error, not node:sqlite's bare "unable to open database file".
    await rejectsWith(
      loadStore(`sqlite:///${join(dir, "missing", "x.db")}`),
      "INVALID_PARAMETER_VALUE",
      "does its directory exist",
    );
    const store = await loadStore(`sqlite:///${join(dir, "ok.db")}`, { warn: () => {} });
    assert.ok(!(store instanceof SqliteStore));
    assert.equal((await store.getExperiment("0")).name, "Default");
    await store.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mlt migrate's importer of a lazy SQLite store writes through SqliteImport", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-lazy-sqlite-" });
  const source = new FileStore(join(dir, "mlruns"), { warn: () => {} });
  const target = lazySqliteStore(`sqlite:///${join(dir, "mlflow.db")}`, { warn: () => {} });
  try {
    const exp = await source.createExperiment("moved");
    const run = await source.createRun({ experimentId: exp, runName: "r" });
    await source.logBatch(run.info.runId, {
      metrics: [{ key: "m", value: 1, timestamp: 5, step: 0 }],
    });
    await migrate({ source, target, importer: target.import });
    const got = await target.getRun(run.info.runId);
    assert.equal(got.info.runName, "r");
    assert.deepEqual(got.data.metrics.map((m) => [m.key, m.value]), [["m", 1]]);
  } finally {
    await source.close();
    await target.close();
    await Deno.remove(dir, { recursive: true });
  }
});
