/**
 * The PostgreSQL store's fast log-batch paths (a plain INSERT of the points, again with ON CONFLICT
 * only when a point repeats a stored one; metrics alone in one statement; params inserted first,
 * checked after) keep MLflow's semantics: exact repeats stored once, a run that is not active
 * refused, a changed param refuses the whole batch, and two writers logging overlapping points
 * into one run at once lose nothing and fail nothing.
 */
import assert from "node:assert/strict";
import { PgStore } from "../src/store/postgres/pg_store.ts";
import { pgArray, PgDb } from "../src/store/postgres/pg_db.ts";
import type { Metric } from "../src/model.ts";
import { rejectsWith } from "./store_contract.ts";
import { sharedCluster, stopClusterTest } from "./helpers/postgres.ts";

function freshStores(n: number): PgStore[] {
  const cluster = sharedCluster();
  const url = cluster.url(cluster.createDatabase());
  return Array.from({ length: n }, () => new PgStore(url, { warn: () => {}, poolSize: 4 }));
}

const point = (key: string, step: number, value = step / 10, timestamp = 1000 + step): Metric => ({
  key,
  value,
  timestamp,
  step,
});

const history = async (s: PgStore, runId: string, key: string) =>
  (await s.getMetricHistory(runId, key)).items.map((m) => [m.step, m.timestamp, m.value])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);

Deno.test("pg log-batch: exact repeats (in the batch or stored before) are kept once", async () => {
  const [s] = freshStores(1);
  try {
    const runId = (await s.createRun({})).info.runId;
    await s.logBatch(runId, { metrics: [point("m", 0), point("m", 1)] });
    // Repeats of stored points, a repeat inside the batch, a NaN twice, and new points with it.
    await s.logBatch(runId, {
      metrics: [
        point("m", 1),
        point("m", 2),
        point("m", 2),
        point("m", 0),
        point("n", 5, NaN),
        point("n", 5, NaN),
        point("m", 3),
      ],
      params: [{ key: "p", value: "1" }],
    });
    assert.deepEqual(await history(s, runId, "m"), [
      [0, 1000, 0],
      [1, 1001, 0.1],
      [2, 1002, 0.2],
      [3, 1003, 0.3],
    ]);
    const n = (await s.getMetricHistory(runId, "n")).items;
    assert.equal(n.length, 1);
    assert.ok(Number.isNaN(n[0].value));
    const run = await s.getRun(runId);
    assert.deepEqual(run.data.params, [{ key: "p", value: "1" }], "the retried batch wrote all");
    const latest = Object.fromEntries(run.data.metrics.map((m) => [m.key, m]));
    assert.equal(latest.m.step, 3);
    // The same step and time with another value is another point, not a repeat; the latest is
    // the greatest (step, timestamp, value).
    await s.logBatch(runId, { metrics: [point("m", 3, 0.9, 1003), point("m", 3, 0.5, 1003)] });
    assert.equal((await history(s, runId, "m")).length, 6);
    const again = (await s.getRun(runId)).data.metrics.find((m) => m.key === "m");
    assert.equal(again?.value, 0.9);
  } finally {
    await s.close();
  }
});

Deno.test("pg log-batch: metrics alone: repeats kept once, a deleted or unknown run refused", async () => {
  const [s] = freshStores(1);
  try {
    const runId = (await s.createRun({})).info.runId;
    await s.logBatch(runId, { metrics: [point("m", 0), point("m", 1), point("m", 1)] });
    await s.logBatch(runId, { metrics: [point("m", 1), point("m", 2)] });
    await s.logMetric(runId, point("m", 2));
    assert.deepEqual((await history(s, runId, "m")).map((p) => p[0]), [0, 1, 2]);
    await s.deleteRun(runId);
    await rejectsWith(
      s.logBatch(runId, { metrics: [point("m", 3)] }),
      "INVALID_PARAMETER_VALUE",
      "must be in the 'active' state. Current state is deleted.",
    );
    await s.restoreRun(runId);
    assert.deepEqual((await history(s, runId, "m")).map((p) => p[0]), [0, 1, 2]);
    assert.equal((await s.getRun(runId)).data.metrics[0].step, 2);
    await rejectsWith(
      s.logBatch("0".repeat(32), { metrics: [point("m", 0)] }),
      "RESOURCE_DOES_NOT_EXIST",
      `Run with id=${"0".repeat(32)} not found`,
    );
  } finally {
    await s.close();
  }
});

Deno.test("pg log-batch: a changed param refuses the whole batch, new params included", async () => {
  const [s] = freshStores(1);
  try {
    const runId = (await s.createRun({})).info.runId;
    await s.logBatch(runId, { params: [{ key: "a", value: "1" }, { key: "b", value: "2" }] });
    // Same values again with new keys: fine.
    await s.logBatch(runId, {
      params: [{ key: "a", value: "1" }, { key: "c", value: "3" }, { key: "b", value: "2" }],
    });
    await rejectsWith(
      s.logBatch(runId, {
        params: [{ key: "d", value: "4" }, { key: "b", value: "changed" }],
        metrics: [point("m", 0)],
      }),
      "INVALID_PARAMETER_VALUE",
      "'key': 'b', 'old_value': '2', 'new_value': 'changed'",
    );
    await rejectsWith(
      s.logParam(runId, { key: "a", value: "9" }),
      "INVALID_PARAMETER_VALUE",
      "Param with key='a' was already logged with value='1'",
    );
    const run = await s.getRun(runId);
    assert.deepEqual(run.data.params.map((p) => `${p.key}=${p.value}`).sort(), [
      "a=1",
      "b=2",
      "c=3",
    ]);
    assert.deepEqual(run.data.metrics, []);
  } finally {
    await s.close();
  }
});

Deno.test("pg log-batch: two writers logging overlapping points into one run at once", async () => {
  const stores = freshStores(2);
  try {
    const runId = (await stores[0].createRun({})).info.runId;
    // Each batch shares half its points with the batch before it, written by the other store.
    const writes: Promise<void>[] = [];
    for (let b = 0; b < 40; b++) {
      const metrics: Metric[] = [];
      for (let step = b * 5; step < b * 5 + 10; step++) {
        metrics.push(point("x", step), point("y", step, -step));
      }
      writes.push(stores[b % 2].logBatch(runId, { metrics }));
    }
    const results = await Promise.allSettled(writes);
    assert.deepEqual(results.filter((r) => r.status === "rejected"), []);
    const steps = Array.from({ length: 205 }, (_, i) => i);
    assert.deepEqual((await history(stores[1], runId, "x")).map((p) => p[0]), steps);
    assert.deepEqual((await history(stores[0], runId, "y")).map((p) => p[0]), steps);
    const latest = Object.fromEntries(
      (await stores[1].getRun(runId)).data.metrics.map((m) => [m.key, m]),
    );
    assert.equal(latest.x.step, 204);
    assert.equal(latest.y.value, -204);
  } finally {
    for (const s of stores) await s.close();
  }
});

Deno.test("pgArray(): PostgreSQL reads back every string and number as given", async () => {
  const cluster = sharedCluster();
  const db = new PgDb(cluster.url(cluster.createDatabase()), {
    shownUri: "test",
    warn: () => {},
    now: () => 0,
    defaultLocation: () => "/tmp/x",
  });
  try {
    const strs = [
      "",
      "a",
      "NULL",
      "null",
      'say "hi"',
      "back\\slash\\",
      '\\"',
      "a,b",
      "{x}",
      " pad ",
      "é 日本",
      "'",
      "\t",
    ];
    const floats = [0, -0, 0.1 + 0.2, 1e-300, 5e-324, -1.7976931348623157e308, 1e21, 123456789.125];
    const ints = [0, -1, 2 ** 53, -(2 ** 53), 1700000000000];
    const row = await db.read((q) =>
      q.one<{ s: string[]; f: number[]; i: string[] }>(
        "SELECT ?::text[] AS s, ?::float8[] AS f, ?::int8[]::text[] AS i",
        pgArray(strs),
        pgArray(floats),
        pgArray(ints),
      )
    );
    assert.deepEqual(row?.s, strs);
    assert.deepEqual(row?.f, floats.map((x) => x === 0 ? 0 : x));
    assert.deepEqual(row?.i, ints.map(String));
  } finally {
    await db.close();
  }
});

Deno.test("pg log-batch: values and steps at the edges of their types are stored exactly", async () => {
  const [s] = freshStores(1);
  try {
    const runId = (await s.createRun({})).info.runId;
    const values = [0.1 + 0.2, 1e-300, 5e-324, -1.5e300, Infinity, -Infinity, 1e21];
    const metrics = values.map((v, i) => point("edge/k.1 -:x", -(2 ** 53) + i, v, 2 ** 53 - i));
    metrics.push(point("edge/k.1 -:x", 2 ** 53, 7, 0));
    await s.logBatch(runId, { metrics });
    assert.deepEqual(
      await history(s, runId, "edge/k.1 -:x"),
      metrics.map((m) => [m.step, m.timestamp, m.value]),
    );
    const latest = (await s.getRun(runId)).data.metrics[0];
    assert.deepEqual([latest.step, latest.value], [2 ** 53, 7]);
  } finally {
    await s.close();
  }
});

stopClusterTest();
