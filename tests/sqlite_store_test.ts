/**
 * The SQLite store: the shared contract (in memory and on a file), plus what only it has: MLflow's
 * exact schema and startup protocol, row semantics (latest_metrics, NaN/±inf storage), atomic
 * log-batch, locking (503, never 500), and refusal of foreign, corrupted or newer databases.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { SqliteStore } from "../src/store/sqlite/sqlite_store.ts";
import { openStore } from "../src/store/open.ts";
import { SCHEMA_REVISION } from "../src/store/sqlite/schema.ts";
import { storeWorkers } from "./helpers/process.ts";
import { fakeClock, rejectsWith, storeContract } from "./store_contract.ts";

const SKIP = {
  "getMetricHistory() returns every point in logging order, paged":
    "MLflow's metrics primary key keeps one copy of an exactly repeated point (tested below)",
};

storeContract("sqlite (memory)", () => {
  const store = new SqliteStore("sqlite://", { clock: fakeClock(), warn: () => {} });
  return Promise.resolve({ store, cleanup: () => Promise.resolve() });
}, SKIP);

storeContract("sqlite (file)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-sqlite-contract-" });
  const store = new SqliteStore(`sqlite:///${join(dir, "mlflow.db")}`, {
    clock: fakeClock(),
    warn: () => {},
    artifactRoot: join(dir, "artifacts"),
  });
  return { store, cleanup: () => Deno.remove(dir, { recursive: true }) };
}, SKIP);

interface Ctx {
  dir: string;
  path: string;
  uri: string;
  warnings: string[];
  open(opts?: { busyTimeoutMs?: number }): SqliteStore;
}

function sqliteTest(name: string, fn: (c: Ctx) => Promise<void>): void {
  Deno.test(`SqliteStore ${name}`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "mlt-sqlite-" });
    const path = join(dir, "mlflow.db");
    const warnings: string[] = [];
    const ctx: Ctx = {
      dir,
      path,
      uri: `sqlite:///${path}`,
      warnings,
      open: (opts = {}) =>
        new SqliteStore(`sqlite:///${path}`, {
          clock: fakeClock(),
          warn: (m) => warnings.push(m),
          artifactRoot: join(dir, "artifacts"),
          ...opts,
        }),
    };
    try {
      await fn(ctx);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

/** Rows of a query on a separate raw connection, as plain objects. */
function query(
  path: string,
  sql: string,
  ...params: (string | number)[]
): Record<string, unknown>[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db.prepare(sql).all(...params).map((r) => ({ ...r }));
  } finally {
    db.close();
  }
}

sqliteTest("metric history keeps one copy of an exact duplicate, ordered as MLflow", async (c) => {
  const s = c.open();
  try {
    const id = (await s.createRun({})).info.runId;
    for (let i = 0; i < 25; i++) {
      await s.logMetric(id, { key: "h", value: i, step: 100 - i, timestamp: 1000 + i });
    }
    await s.logMetric(id, { key: "h", value: 0, step: 100, timestamp: 1000 });
    const all = await s.getMetricHistory(id, "h");
    assert.equal(all.items.length, 25);
    assert.deepEqual(all.items.slice(0, 3).map((p) => p.value), [0, 1, 2]);
    const p1 = await s.getMetricHistory(id, "h", { maxResults: 10 });
    const p3 = await s.getMetricHistory(id, "h", {
      maxResults: 10,
      pageToken:
        (await s.getMetricHistory(id, "h", { maxResults: 10, pageToken: p1.nextPageToken }))
          .nextPageToken,
    });
    assert.deepEqual([p1.items.length, p3.items.length, p3.nextPageToken], [10, 5, undefined]);
  } finally {
    await s.close();
  }
});

sqliteTest(
  "history pages resume after the last point: same points, order and offsets",
  async (c) => {
    const s = c.open();
    try {
      const id = (await s.createRun({})).info.runId;
      const other = (await s.createRun({})).info.runId;
      // Ties on (timestamp, step) broken by value, NaN beside 0, ±Infinity, steps out of order,
      // and another run's points of the same key interleaved in time.
      const values = [0, NaN, -1, Infinity, -Infinity, 2.5, 0.1];
      const points = Array.from({ length: 60 }, (_, i) => ({
        key: "h",
        value: values[i % values.length],
        step: (i * 7) % 11,
        timestamp: 1000 + Math.floor(i / 3),
      }));
      await s.logBatch(id, { metrics: points });
      await s.logBatch(other, {
        metrics: points.map((p, i) => ({ ...p, value: i, timestamp: p.timestamp + (i % 2) })),
      });
      const all = (await s.getMetricHistory(id, "h")).items;
      assert.equal(all.length, 60);
      const legacy = (offset: number) => btoa(`{"offset": ${offset}}`);
      for (const max of [1, 4, 7, 59, 60, 61]) {
        const got: unknown[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const page = await s.getMetricHistory(id, "h", { maxResults: max, pageToken: token });
          got.push(...page.items);
          token = page.nextPageToken;
          pages++;
          if (token) {
            // Still MLflow's offset token for a server that knows only offsets.
            const offset = JSON.parse(atob(token)).offset;
            assert.equal(offset, got.length);
            const viaOffset = await s.getMetricHistory(id, "h", {
              maxResults: max,
              pageToken: legacy(offset),
            });
            const next = await s.getMetricHistory(id, "h", { maxResults: max, pageToken: token });
            assert.deepEqual(viaOffset.items, next.items, `max ${max} at ${offset}`);
          }
        } while (token);
        assert.deepEqual(got, all, `max ${max}`);
        assert.equal(pages, Math.max(1, Math.ceil(60 / max)));
      }
      // Points logged while a client pages through the history still come (when they sort later).
      const p1 = await s.getMetricHistory(id, "h", { maxResults: 30 });
      const p2 = await s.getMetricHistory(id, "h", { maxResults: 30, pageToken: p1.nextPageToken });
      assert.equal(p2.nextPageToken, undefined);
      await s.logMetric(id, { key: "h", value: 1, step: 0, timestamp: 5000 });
      const again = await s.getMetricHistory(id, "h", {
        maxResults: 30,
        pageToken: p1.nextPageToken,
      });
      assert.equal(again.items.length, 30);
      const p3 = await s.getMetricHistory(id, "h", {
        maxResults: 30,
        pageToken: again.nextPageToken,
      });
      assert.deepEqual([p3.items.map((p) => p.timestamp), p3.nextPageToken], [[5000], undefined]);
    } finally {
      await s.close();
    }
  },
);

sqliteTest("stores NaN as is_nan + 0 and ±Infinity as ±max double, as MLflow", async (c) => {
  const s = c.open();
  try {
    const id = (await s.createRun({})).info.runId;
    await s.logBatch(id, {
      metrics: [
        { key: "nan", value: NaN, timestamp: 1, step: 0 },
        { key: "inf", value: Infinity, timestamp: 1, step: 0 },
        { key: "ninf", value: -Infinity, timestamp: 1, step: 0 },
      ],
    });
    const rows = query(c.path, "SELECT key, value, is_nan FROM metrics ORDER BY key");
    assert.deepEqual(rows, [
      { key: "inf", value: 1.7976931348623157e308, is_nan: 0 },
      { key: "nan", value: 0, is_nan: 1 },
      { key: "ninf", value: -1.7976931348623157e308, is_nan: 0 },
    ]);
    const latest = query(c.path, "SELECT key, value, is_nan FROM latest_metrics ORDER BY key");
    assert.deepEqual(latest, rows);
    const m = Object.fromEntries((await s.getRun(id)).data.metrics.map((x) => [x.key, x.value]));
    assert.deepEqual(m, { inf: Infinity, nan: NaN, ninf: -Infinity });
  } finally {
    await s.close();
  }
});

sqliteTest(
  "creates MLflow's schema, revision and default experiment on an empty file",
  async (c) => {
    const s = c.open();
    await s.close();
    assert.deepEqual(query(c.path, "SELECT version_num FROM alembic_version"), [
      { version_num: SCHEMA_REVISION },
    ]);
    const [exp] = query(
      c.path,
      "SELECT experiment_id, name, lifecycle_stage, workspace FROM experiments",
    );
    assert.deepEqual(exp, {
      experiment_id: 0,
      name: "Default",
      lifecycle_stage: "active",
      workspace: "default",
    });
    assert.deepEqual(query(c.path, "PRAGMA journal_mode"), [{ journal_mode: "wal" }]);
    // An empty existing file is a new database too.
    Deno.writeFileSync(c.path, new Uint8Array());
    await c.open().close();
    assert.equal(query(c.path, "SELECT count(*) AS n FROM experiments")[0].n, 1);
  },
);

sqliteTest("opens through openStore() with sqlite:/// URIs", async (c) => {
  const s = openStore(c.uri, { warn: () => {} });
  try {
    assert.ok(s instanceof SqliteStore);
    assert.equal((await s.getExperiment("0")).name, "Default");
  } finally {
    await s.close();
  }
  await rejectsWith(
    Promise.resolve().then(() => openStore("sqlite://host/x.db")),
    "INVALID_PARAMETER_VALUE",
    "Invalid SQLite URI",
  );
});

sqliteTest("a log-batch is one transaction: a failure midway leaves nothing", async (c) => {
  const s = c.open();
  try {
    const id = (await s.createRun({})).info.runId;
    // A trigger makes the last row of the batch fail after params and metrics went in.
    const db = new DatabaseSync(c.path);
    db.exec(
      "CREATE TRIGGER fail_tag BEFORE INSERT ON tags WHEN NEW.key = 'boom' " +
        "BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
    );
    db.close();
    await assert.rejects(
      s.logBatch(id, {
        params: [{ key: "p", value: "1" }],
        metrics: [{ key: "m", value: 1, timestamp: 1, step: 0 }],
        tags: [{ key: "ok", value: "1" }, { key: "boom", value: "x" }],
      }),
      /injected failure/,
    );
    const run = await s.getRun(id);
    assert.deepEqual([run.data.params, run.data.metrics, run.data.tags.length], [[], [], 1]);
    assert.equal(query(c.path, "SELECT count(*) AS n FROM metrics")[0].n, 0);
  } finally {
    await s.close();
  }
});

sqliteTest(
  "latest_metrics follows MLflow: max (step, timestamp, value), NaN compared as 0",
  async (c) => {
    const s = c.open();
    try {
      const id = (await s.createRun({})).info.runId;
      const log = (value: number, step: number, timestamp: number) =>
        s.logMetric(id, { key: "m", value, step, timestamp });
      await log(5, 1, 10);
      await log(NaN, 1, 10); // NaN is 0 for the comparison: not later than 5
      assert.equal((await s.getRun(id)).data.metrics[0].value, 5);
      await log(NaN, 2, 0); // a higher step wins whatever its value
      assert.ok(Number.isNaN((await s.getRun(id)).data.metrics[0].value));
      await s.logBatch(id, {
        metrics: [
          { key: "m", value: 1, step: 3, timestamp: 5 },
          { key: "m", value: 9, step: 3, timestamp: 5 },
          { key: "m", value: 4, step: 3, timestamp: 4 },
        ],
      });
      const [m] = (await s.getRun(id)).data.metrics;
      assert.deepEqual([m.value, m.step, m.timestamp], [9, 3, 5]);
      assert.deepEqual(query(c.path, "SELECT value, step, is_nan FROM latest_metrics"), [
        { value: 9, step: 3, is_nan: 0 },
      ]);
    } finally {
      await s.close();
    }
  },
);

sqliteTest(
  "a 237-point log-batch: every row in order, exact repeats once, latest per key",
  async (c) => {
    // Points go in 100, 10 and 1 rows per INSERT (sqlite_writer.ts): 237 crosses each size.
    const s = c.open();
    try {
      const id = (await s.createRun({})).info.runId;
      const special = [NaN, Infinity, -Infinity, 0, -0.5];
      const metrics = Array.from({ length: 237 }, (_, i) => ({
        key: `k${i % 3}`,
        value: i % 17 === 0 ? special[(i / 17) % special.length] : (i * 7919) % 101 / 4,
        step: i % 11,
        timestamp: 1000 + (i % 13),
      }));
      // Exact repeats, one of them across the first 100-row boundary.
      metrics[150] = { ...metrics[3] };
      metrics[99] = { ...metrics[100] };
      await s.logBatch(id, { metrics });
      const stored = (v: number) =>
        Number.isNaN(v)
          ? 0
          : v === Infinity
          ? 1.7976931348623157e308
          : v === -Infinity
          ? -1.7976931348623157e308
          : v;
      const row = (m: (typeof metrics)[number]) => ({
        key: m.key,
        value: stored(m.value),
        timestamp: m.timestamp,
        step: m.step,
        is_nan: Number.isNaN(m.value) ? 1 : 0,
      });
      const seen = new Set<string>();
      const want = metrics.map(row).filter((r) => {
        const k = JSON.stringify(r);
        return !seen.has(k) && seen.add(k);
      });
      assert.equal(want.length, 235);
      assert.deepEqual(
        query(c.path, "SELECT key, value, timestamp, step, is_nan FROM metrics ORDER BY rowid"),
        want,
      );
      const latest = new Map<string, ReturnType<typeof row>>();
      for (const r of want) {
        const cur = latest.get(r.key);
        const later = !cur ||
          (r.step !== cur.step
            ? r.step > cur.step
            : r.timestamp !== cur.timestamp
            ? r.timestamp > cur.timestamp
            : r.value > cur.value);
        if (later) latest.set(r.key, r);
      }
      assert.deepEqual(
        query(
          c.path,
          "SELECT key, value, timestamp, step, is_nan FROM latest_metrics ORDER BY key",
        ),
        [...latest.values()].sort((a, b) => a.key < b.key ? -1 : 1),
      );
    } finally {
      await s.close();
    }
  },
);

sqliteTest("log-batch param conflicts use MLflow's batch message; logParam its own", async (c) => {
  const s = c.open();
  try {
    const id = (await s.createRun({})).info.runId;
    await s.logParam(id, { key: "a", value: "1" });
    await rejectsWith(
      s.logBatch(id, { params: [{ key: "a", value: "2" }, { key: "b", value: "3" }] }),
      "INVALID_PARAMETER_VALUE",
      `Params were already logged='[{'key': 'a', 'old_value': '1', 'new_value': '2'}]' for run ID='${id}'.`,
    );
    await rejectsWith(
      s.logParam(id, { key: "a", value: "2" }),
      "INVALID_PARAMETER_VALUE",
      "Param with key='a' was already logged with value='1'",
    );
    assert.deepEqual((await s.getRun(id)).data.params, [{ key: "a", value: "1" }]);
  } finally {
    await s.close();
  }
});

sqliteTest("experiment ids are sequential and never reused after a purge", async (c) => {
  const s = c.open();
  try {
    const a = await s.createExperiment("a");
    const b = await s.createExperiment("b");
    assert.deepEqual([a, b], ["1", "2"]);
    await s.deleteExperiment(b);
    await s.hardDeleteExperiment(b);
    assert.equal(await s.createExperiment("c"), "3");
    const exp = await s.getExperiment("3");
    assert.equal(exp.artifactLocation, join(c.dir, "artifacts", "3"));
    await rejectsWith(s.getExperiment("abc"), "INVALID_PARAMETER_VALUE", "must be a valid integer");
  } finally {
    await s.close();
  }
});

sqliteTest("runs rows carry MLflow's defaults and the run name in runs.name", async (c) => {
  const s = c.open();
  try {
    const run = await s.createRun({ runName: "first", startTime: 7 });
    await s.setTag(run.info.runId, { key: "mlflow.runName", value: "second" });
    const [row] = query(
      c.path,
      "SELECT name, source_type, source_name, entry_point_name, source_version, status, " +
        "lifecycle_stage, start_time, end_time, artifact_uri FROM runs",
    );
    assert.deepEqual(row, {
      name: "second",
      source_type: "UNKNOWN",
      source_name: "",
      entry_point_name: "",
      source_version: "",
      status: "RUNNING",
      lifecycle_stage: "active",
      start_time: 7,
      end_time: null,
      artifact_uri: `${join(c.dir, "artifacts", "0")}/${run.info.runId}/artifacts`,
    });
  } finally {
    await s.close();
  }
});

sqliteTest(
  "8 processes writing at once: every point kept, one name and one param value win",
  async (c) => {
    const s = c.open();
    try {
      const id = (await s.createRun({})).info.runId;
      const res = await storeWorkers(8, (i) => ["metrics", c.uri, id, "150", String(i)]);
      assert.ok(res.every((r) => r.ok), JSON.stringify(res));
      assert.equal((await s.getMetricHistory(id, "m")).items.length, 8 * 150);
      const created = await storeWorkers(6, () => ["create", c.uri, "same-name"]);
      assert.equal(created.filter((r) => r.ok).length, 1);
      assert.ok(created.filter((r) => !r.ok).every((r) => r.code === "RESOURCE_ALREADY_EXISTS"));
      const params = await storeWorkers(6, (i) => ["param", c.uri, id, `v${i}`]);
      assert.equal(params.filter((r) => r.ok).length, 1);
      assert.ok(params.filter((r) => !r.ok).every((r) => r.code === "INVALID_PARAMETER_VALUE"));
      assert.equal((await s.getRun(id)).data.params.length, 1);
    } finally {
      await s.close();
    }
  },
);

sqliteTest(
  "concurrent writes commit together; a failing one undoes only its own rows",
  async (c) => {
    const s = c.open();
    try {
      const ids = await Promise.all([0, 1, 2].map(async () => (await s.createRun({})).info.runId));
      const db = new DatabaseSync(c.path);
      db.exec(
        "CREATE TRIGGER fail_tag BEFORE INSERT ON tags WHEN NEW.key = 'boom' " +
          "BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
      );
      db.close();
      const batch = (tag: string) => ({
        params: [{ key: "p", value: "1" }],
        metrics: [{ key: "m", value: 1, timestamp: 1, step: 0 }],
        tags: [{ key: tag, value: "x" }],
      });
      const results = await Promise.allSettled([
        s.logBatch(ids[0], batch("ok")),
        s.logBatch(ids[1], batch("boom")),
        s.logBatch(ids[2], batch("ok")),
      ]);
      assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
      const counts = await Promise.all(ids.map(async (id) => {
        const run = await s.getRun(id);
        return [run.data.params.length, run.data.metrics.length];
      }));
      assert.deepEqual(counts, [[1, 1], [0, 0], [1, 1]]);
    } finally {
      await s.close();
    }
  },
);

sqliteTest(
  "metric history works with and without MLflow's (run_uuid, key, step) index",
  async (c) => {
    let s = c.open();
    const id = (await s.createRun({})).info.runId;
    const points = [3, 1, 2].map((v, i) => ({
      key: "k",
      value: v,
      step: 10 - i,
      timestamp: 5 - i,
    }));
    await s.logBatch(id, { metrics: points });
    const want = [...points].reverse();
    assert.deepEqual((await s.getMetricHistory(id, "k")).items, want);
    await s.close();
    const db = new DatabaseSync(c.path);
    db.exec("DROP INDEX index_metrics_run_uuid_key_step");
    db.close();
    s = c.open();
    try {
      assert.deepEqual((await s.getMetricHistory(id, "k")).items, want);
    } finally {
      await s.close();
    }
  },
);
