/**
 * Metric history pages on the SQLite store (src/store/sqlite/sqlite_history.ts): the bounded walk
 * along the metrics primary key and its fallback to the run's own index give the same pages as the
 * full history, whichever way the run's points sit among other runs' points of the same key.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { SqliteStore } from "../src/store/sqlite/sqlite_store.ts";
import type { Metric } from "../src/model.ts";

async function withStore(fn: (s: SqliteStore) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mlt-history-" });
  const s = new SqliteStore(`sqlite:///${join(dir, "mlflow.db")}`);
  try {
    await fn(s);
  } finally {
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function logAll(s: SqliteStore, runId: string, points: Metric[]): Promise<void> {
  for (let i = 0; i < points.length; i += 1000) {
    await s.logBatch(runId, { metrics: points.slice(i, i + 1000) });
  }
}

// Every page of `max` points, following the tokens; also returns the tokens' fields.
async function pages(s: SqliteStore, runId: string, key: string, max: number) {
  const items: Metric[] = [];
  const fields: Record<string, unknown>[] = [];
  let token: string | undefined;
  do {
    const page = await s.getMetricHistory(runId, key, { maxResults: max, pageToken: token });
    items.push(...page.items);
    token = page.nextPageToken;
    if (token) fields.push(JSON.parse(atob(token)));
  } while (token);
  return { items, fields };
}

Deno.test("history pages of a run sparse among another run's points match its full history", async () => {
  await withStore(async (s) => {
    const crowd = (await s.createRun({})).info.runId;
    const id = (await s.createRun({})).info.runId;
    // 12,000 points of another run first, then this run's 50 (some at the crowd's timestamps).
    await logAll(
      s,
      crowd,
      Array.from({ length: 12_000 }, (_, i) => ({ key: "m", value: i, step: i, timestamp: i })),
    );
    const mine = Array.from({ length: 50 }, (_, i) => ({
      key: "m",
      value: i % 3 === 0 ? NaN : -i,
      step: 50 - i,
      timestamp: i < 10 ? 11_990 + i : 20_000 + Math.floor(i / 4),
    }));
    await logAll(s, id, mine);
    const all = (await s.getMetricHistory(id, "m")).items;
    assert.equal(all.length, 50);
    // A first page of 10 walks at most 10,000 entries: it cannot reach this run's points and falls
    // back to its own index (its token carries the run's count); the next pages start at this
    // run's points and walk again.
    const small = await pages(s, id, "m", 10);
    assert.deepEqual(small.items, all);
    assert.deepEqual(small.fields.map((f) => f.count), [50, undefined, undefined, undefined]);
    const big = await pages(s, id, "m", 1000); // one walk over all 12,050 entries
    assert.deepEqual(big.items, all);
    // The crowd's own pages walk from the key's first point, with no count to compute.
    const crowdPages = await pages(s, crowd, "m", 5000);
    assert.equal(crowdPages.items.length, 12_000);
    assert.deepEqual(crowdPages.items, (await s.getMetricHistory(crowd, "m")).items);
    assert.ok(crowdPages.fields.every((f) => f.count === undefined));
  });
});

Deno.test("history pages of runs logging one key at the same times match their full histories", async () => {
  await withStore(async (s) => {
    const ids: string[] = [];
    for (let r = 0; r < 8; r++) ids.push((await s.createRun({})).info.runId);
    // Eight runs log the same key at the same timestamps and steps; values tie across runs.
    for (let t = 0; t < 300; t += 100) {
      for (const [r, id] of ids.entries()) {
        await s.logBatch(id, {
          metrics: Array.from({ length: 100 }, (_, i) => ({
            key: "loss",
            value: (t + i) % 7 === r ? Infinity : (t + i) % 5,
            step: (t + i) % 37,
            timestamp: 1_000 + Math.floor((t + i) / 2),
          })),
        });
      }
    }
    for (const id of ids) {
      const all = (await s.getMetricHistory(id, "loss")).items;
      assert.equal(all.length, 300);
      for (const max of [1, 7, 299, 300, 301]) {
        assert.deepEqual((await pages(s, id, "loss", max)).items, all, `max ${max}`);
      }
    }
  });
});

Deno.test("a history token with a point count, as older mlt wrote, still resumes", async () => {
  await withStore(async (s) => {
    const id = (await s.createRun({})).info.runId;
    await logAll(
      s,
      id,
      Array.from({ length: 30 }, (_, i) => ({ key: "k", value: i, step: i, timestamp: 100 + i })),
    );
    const p1 = await s.getMetricHistory(id, "k", { maxResults: 12 });
    const fields = JSON.parse(atob(p1.nextPageToken!));
    const old = btoa(JSON.stringify({ ...fields, count: 30 }));
    const viaNew = await s.getMetricHistory(id, "k", {
      maxResults: 12,
      pageToken: p1.nextPageToken,
    });
    const viaOld = await s.getMetricHistory(id, "k", { maxResults: 12, pageToken: old });
    assert.deepEqual(viaOld.items, viaNew.items);
    assert.deepEqual(viaOld.items.map((m) => m.step), Array.from({ length: 12 }, (_, i) => 12 + i));
  });
});
