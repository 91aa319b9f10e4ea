/**
 * The PostgreSQL store on a real, throwaway PostgreSQL cluster: the whole tracking contract and
 * the logged-model contract (a fresh database per test), plus what only it has: several stores
 * (as several servers) on one database, concurrent writers of one run, experiment names raced
 * from many connections, and a log-batch that is all or nothing.
 */
import assert from "node:assert/strict";
import { PgStore } from "../src/store/postgres/pg_store.ts";
import { loggedModelContract } from "./logged_model_contract.ts";
import { fakeClock, rejectsWith, storeContract } from "./store_contract.ts";
import { sharedCluster, stopClusterTest } from "./helpers/postgres.ts";

const SKIP = {
  "getMetricHistory() returns every point in logging order, paged":
    "MLflow's metrics primary key keeps one copy of an exactly repeated point (sqlite_store_test)",
};

/** A store on a fresh database of the file's cluster. */
export function freshPgStore(opts: { clock?: () => number } = {}) {
  const cluster = sharedCluster();
  const db = cluster.createDatabase();
  const dir = Deno.makeTempDirSync({ prefix: "mlt-pg-art-" });
  const store = new PgStore(cluster.url(db), {
    clock: opts.clock ?? fakeClock(),
    warn: () => {},
    artifactRoot: `${dir}/artifacts`,
  });
  return {
    store,
    db,
    cleanup: () => {
      Deno.removeSync(dir, { recursive: true });
      return Promise.resolve();
    },
  };
}

storeContract("postgres", () => Promise.resolve(freshPgStore()), SKIP);
loggedModelContract("postgres", () => Promise.resolve(freshPgStore()));

Deno.test("PgStore: two stores on one database see each other's writes at once", async () => {
  const cluster = sharedCluster();
  const url = cluster.url(cluster.createDatabase());
  const a = new PgStore(url, { warn: () => {} });
  const b = new PgStore(url, { warn: () => {} });
  const c = new PgStore(url, { warn: () => {} });
  try {
    const exp = await a.createExperiment("shared");
    const run = await a.createRun({ experimentId: exp });
    await b.logBatch(run.info.runId, {
      metrics: [{ key: "loss", value: 0.5, timestamp: 1, step: 1 }],
      params: [{ key: "lr", value: "0.1" }],
    });
    const seen = await c.getRun(run.info.runId);
    assert.deepEqual(seen.data.params, [{ key: "lr", value: "0.1" }]);
    assert.equal(seen.data.metrics[0].value, 0.5);
    await c.createLoggedModel({ experimentId: exp, name: "m" });
    const models = await a.searchLoggedModels({ experimentIds: [exp] });
    assert.deepEqual(models.items.map((m) => m.name), ["m"]);
    await b.createLoggedModel({ experimentId: exp, name: "n" });
    const again = await a.searchLoggedModels({ experimentIds: [exp] });
    assert.equal(again.items.length, 2, "no stale cached page");
  } finally {
    await a.close();
    await b.close();
    await c.close();
  }
});

Deno.test("PgStore: latest values another writer left as NaN or ±Infinity read as such", async () => {
  const { store, db, cleanup } = freshPgStore();
  try {
    const exp = await store.createExperiment("raw");
    const id = (await store.createRun({ experimentId: exp })).info.runId;
    await store.logBatch(id, {
      metrics: ["a", "b", "c", "d"].map((key) => ({ key, value: 1, timestamp: 1, step: 0 })),
    });
    // MLflow writes NaN as is_nan with 0 and ±Infinity as ±max double; PostgreSQL's own
    // spellings can still be in a column another program wrote (JSON sends them as strings).
    sharedCluster().psql(
      "UPDATE latest_metrics SET value = CASE key WHEN 'a' THEN 'NaN'::float8 " +
        "WHEN 'b' THEN 'Infinity'::float8 WHEN 'c' THEN '-Infinity'::float8 ELSE 2.5 END",
      db,
    );
    const want = [["a", NaN], ["b", Infinity], ["c", -Infinity], ["d", 2.5]];
    const got = (await store.getRun(id)).data.metrics.map((m) => [m.key, m.value]);
    const found = (await store.searchRuns({ experimentIds: [exp] })).items[0].data.metrics
      .map((m) => [m.key, m.value]);
    assert.deepEqual(got, want);
    assert.deepEqual(found, want);
  } finally {
    await store.close();
    await cleanup();
  }
});

Deno.test("PgStore: a page's generic plans leave the connection planning reads per value", async () => {
  const cluster = sharedCluster();
  const store = new PgStore(cluster.url(cluster.createDatabase()), {
    warn: () => {},
    poolSize: 1, // one connection: what the page statements did to it, the next read sees
  });
  const mode = () =>
    store.database.read((q) => q.one<{ plan_cache_mode: string }>("SHOW plan_cache_mode"));
  try {
    const exp = await store.createExperiment("plans");
    const id = (await store.createRun({ experimentId: exp })).info.runId;
    await store.logBatch(id, { params: [{ key: "p", value: "1" }] });
    assert.deepEqual(await mode(), { plan_cache_mode: "force_custom_plan" });
    for (let i = 0; i < 3; i++) {
      assert.equal((await store.getRun(id)).data.params[0].value, "1");
      assert.equal((await store.searchRuns({ experimentIds: [exp] })).items.length, 1);
    }
    assert.deepEqual(await mode(), { plan_cache_mode: "force_custom_plan" });
    // A statement that fails still gives the connection back as it was.
    await assert.rejects(store.database.read((q) => q.oneGeneric("SELECT 1 / (? - 1)", 1)));
    assert.deepEqual(await mode(), { plan_cache_mode: "force_custom_plan" });
    // And the generic mode was in force for the statement itself.
    const inside = await store.database.read((q) =>
      q.oneGeneric<{ m: string }>("SELECT current_setting('plan_cache_mode') || ? AS m", "")
    );
    assert.deepEqual(inside, { m: "force_generic_plan" });
  } finally {
    await store.close();
  }
});

Deno.test("PgStore: concurrent batches of one run never lose a latest_metrics update", async () => {
  const cluster = sharedCluster();
  const url = cluster.url(cluster.createDatabase());
  const stores = [0, 1, 2, 3].map(() => new PgStore(url, { warn: () => {}, poolSize: 4 }));
  try {
    const exp = await stores[0].createExperiment("race");
    const runId = (await stores[0].createRun({ experimentId: exp })).info.runId;
    const writes: Promise<void>[] = [];
    for (let step = 0; step < 200; step++) {
      const s = stores[step % stores.length];
      writes.push(s.logBatch(runId, {
        metrics: [
          { key: "a", value: step, timestamp: 1000 + step, step },
          { key: "b", value: -step, timestamp: 1000 + step, step },
        ],
      }));
    }
    await Promise.all(writes);
    const run = await stores[1].getRun(runId);
    const latest = Object.fromEntries(run.data.metrics.map((m) => [m.key, m]));
    assert.equal(latest.a.step, 199);
    assert.equal(latest.a.value, 199);
    assert.equal(latest.b.value, -199);
    const hist = await stores[2].getMetricHistory(runId, "a");
    assert.equal(hist.items.length, 200);
  } finally {
    for (const s of stores) await s.close();
  }
});

Deno.test("PgStore: a param's first write from many connections: one value wins, others refused", async () => {
  const cluster = sharedCluster();
  const url = cluster.url(cluster.createDatabase());
  const stores = [0, 1, 2, 3, 4, 5].map(() => new PgStore(url, { warn: () => {} }));
  try {
    const runId = (await stores[0].createRun({})).info.runId;
    const results = await Promise.allSettled(
      stores.map((s, i) => s.logParam(runId, { key: "p", value: i < 3 ? "same" : `v${i}` })),
    );
    const stored = (await stores[0].getRun(runId)).data.params;
    assert.equal(stored.length, 1);
    const winner = stored[0].value;
    results.forEach((r, i) => {
      const value = i < 3 ? "same" : `v${i}`;
      if (value === winner) assert.equal(r.status, "fulfilled", `writer ${i}`);
      else assert.equal(r.status, "rejected", `writer ${i} (${value}) must be refused`);
    });
  } finally {
    for (const s of stores) await s.close();
  }
});

Deno.test("PgStore: one experiment name created from many connections at once: one wins", async () => {
  const cluster = sharedCluster();
  const url = cluster.url(cluster.createDatabase());
  const stores = [0, 1, 2, 3, 4, 5, 6, 7].map(() => new PgStore(url, { warn: () => {} }));
  try {
    await stores[0].open();
    const results = await Promise.allSettled(stores.map((s) => s.createExperiment("same-name")));
    const ok = results.filter((r) => r.status === "fulfilled");
    assert.equal(ok.length, 1);
    for (const r of results) {
      if (r.status === "rejected") {
        await rejectsWith(Promise.reject(r.reason), "RESOURCE_ALREADY_EXISTS", "already exists");
      }
    }
  } finally {
    for (const s of stores) await s.close();
  }
});

Deno.test("PgStore: a failing log-batch writes nothing", async () => {
  const { store, cleanup } = freshPgStore();
  try {
    const runId = (await store.createRun({})).info.runId;
    await store.logParam(runId, { key: "p", value: "1" });
    await rejectsWith(
      store.logBatch(runId, {
        metrics: [{ key: "m", value: 1, timestamp: 1, step: 0 }],
        params: [{ key: "q", value: "x" }, { key: "p", value: "2" }],
        tags: [{ key: "t", value: "v" }],
      }),
      "INVALID_PARAMETER_VALUE",
    );
    const run = await store.getRun(runId);
    assert.deepEqual(run.data.params, [{ key: "p", value: "1" }]);
    assert.deepEqual(run.data.metrics, []);
    assert.equal(run.data.tags.find((t) => t.key === "t"), undefined);
    // A NUL byte PostgreSQL cannot store is the client's mistake (400), never a 500.
    await rejectsWith(
      store.setTag(runId, { key: "t", value: "a\u0000b" }),
      "INVALID_PARAMETER_VALUE",
    );
  } finally {
    await store.close();
    await cleanup();
  }
});

stopClusterTest();
