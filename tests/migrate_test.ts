/**
 * `mlt migrate`: file store → SQLite → file store keeps every entity and field (compared through
 * the TrackingStore interface), resumes after an interruption, and reports a mismatch with exit 1.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { main } from "../main.ts";
import { FileStore } from "../src/store/file/file_store.ts";
import { SqliteStore } from "../src/store/sqlite/sqlite_store.ts";
import { migrate } from "../src/store/migrate.ts";
import { FileImport } from "../src/store/migrate_file.ts";
import { allPages, type TrackingStore } from "../src/store/store.ts";
import type { Experiment, Metric, Run } from "../src/model.ts";
import { withTempDir } from "./helpers/temp.ts";

const T0 = 1_760_000_000_000;

function clock(): () => number {
  let t = T0;
  return () => (t += 7);
}

const byKey = <T extends { key: string }>(xs: T[]) =>
  [...xs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

async function all<T>(fetch: (t?: string) => Promise<{ items: T[]; nextPageToken?: string }>) {
  return (await allPages(fetch)).items;
}

/** Everything a store holds, read through TrackingStore, in a canonical order. */
async function snapshot(s: TrackingStore) {
  const exps =
    (await all<Experiment>((pageToken) => s.searchExperiments({ viewType: "ALL", pageToken })))
      .sort((a, b) => (a.experimentId < b.experimentId ? -1 : 1))
      .map((e) => ({ ...e, tags: byKey(e.tags) }));
  const runs =
    (await all<Run>((pageToken) =>
      s.searchRuns({ experimentIds: exps.map((e) => e.experimentId), viewType: "ALL", pageToken })
    )).sort((a, b) => (a.info.runId < b.info.runId ? -1 : 1));
  const out = [];
  for (const r of runs) {
    const history: Record<string, Metric[]> = {};
    for (const m of r.data.metrics) {
      history[m.key] = (await s.getMetricHistory(r.info.runId, m.key)).items
        .map((p) => ({ key: p.key, value: p.value, timestamp: p.timestamp, step: p.step }))
        .sort((a, b) => a.timestamp - b.timestamp || a.step - b.step || a.value - b.value);
    }
    out.push({
      // The file store's reader leaves absent fields as undefined keys; compare values only.
      info: Object.fromEntries(Object.entries(r.info).filter(([, v]) => v !== undefined)),
      params: byKey(r.data.params),
      tags: byKey(r.data.tags),
      latest: byKey(r.data.metrics).map((m) => [m.key, m.value, m.step, m.timestamp]),
      history,
      inputs: r.inputs.datasetInputs,
    });
  }
  return { exps, runs: out };
}

async function fill(s: TrackingStore): Promise<string[]> {
  await s.setExperimentTag("0", { key: "purpose", value: "default" });
  const a = await s.createExperiment("a ✓", "s3://bucket/a", [{ key: "team", value: "ml" }]);
  const b = await s.createExperiment("b", undefined, [{ key: "nested/key", value: "" }]);
  const ids: string[] = [];
  const statuses = ["FINISHED", "FAILED", "KILLED", "SCHEDULED", undefined] as const;
  for (let i = 0; i < 6; i++) {
    const run = await s.createRun({
      experimentId: i % 2 ? a : b,
      runName: `run-${i}`,
      userId: i === 3 ? "" : "alice",
      startTime: T0 + i,
      tags: [{ key: "a/b", value: `t${i}` }],
    });
    const id = run.info.runId;
    ids.push(id);
    await s.logBatch(id, {
      params: [{ key: "lr", value: `0.${i}` }, { key: "text", value: "multi\nline é" }],
      metrics: [NaN, Infinity, -Infinity, 0.25, 1e-300].map((value, step) => ({
        key: i % 3 ? "loss" : "loss/val",
        value: value * (i + 1),
        step: step * 2 ** 40,
        timestamp: T0 + step,
      })),
    });
    await s.logMetric(id, { key: "acc", value: i / 10, step: 0, timestamp: T0 });
    if (i < 2) {
      await s.logInputs(id, [{
        tags: [{ key: "mlflow.data.context", value: "training" }, { key: "split", value: "x" }],
        dataset: i === 0
          ? {
            name: "iris",
            digest: "d1",
            sourceType: "http",
            source: "{}",
            schema: "{}",
            profile: "p",
          }
          : { name: "raw", digest: "d2", sourceType: "local", source: '{"uri": "/r"}' },
      }]);
    }
    const status = statuses[i % statuses.length];
    if (status) await s.updateRun({ runId: id, status, endTime: T0 + 100 + i });
  }
  await s.deleteRun(ids[4]);
  const c = await s.createExperiment("c (deleted)");
  ids.push((await s.createRun({ experimentId: c, runName: "in-c" })).info.runId);
  await s.deleteExperiment(c);
  return ids;
}

const withDir = (fn: (dir: string) => Promise<void>) => withTempDir("mlt-migrate-", fn);

const quiet = { warn: () => {} };

Deno.test("migrate(): file → SQLite → file keeps every entity, field and point", async () => {
  await withDir(async (dir) => {
    const src = new FileStore(join(dir, "mlruns"), { ...quiet, clock: clock() });
    const sql = new SqliteStore(`sqlite:///${join(dir, "m.db")}`, { ...quiet, clock: clock() });
    const back = new FileStore(join(dir, "back"), quiet);
    try {
      await fill(src);
      const want = await snapshot(src);
      assert.equal(want.runs.length, 7);
      const r1 = await migrate({ source: src, target: sql, importer: sql.import });
      assert.deepEqual([r1.copiedRuns, r1.skippedRuns, r1.mismatches], [7, 0, []]);
      assert.equal(r1.source.metricPoints, 6 * 6);
      assert.deepEqual(await snapshot(sql), want);
      const r2 = await migrate({
        source: sql,
        target: back,
        importer: new FileImport(join(dir, "back")),
      });
      assert.deepEqual([r2.copiedRuns, r2.mismatches], [7, []]);
      assert.deepEqual(await snapshot(back), want);
      assert.deepEqual(r2.target, r1.target);
    } finally {
      await Promise.all([src.close(), sql.close(), back.close()]);
    }
  });
});

Deno.test("migrate(): a second run skips complete runs and redoes changed or missing ones", async () => {
  await withDir(async (dir) => {
    const src = new FileStore(join(dir, "mlruns"), { ...quiet, clock: clock() });
    const sql = new SqliteStore(`sqlite:///${join(dir, "m.db")}`, quiet);
    try {
      const ids = await fill(src);
      await migrate({ source: src, target: sql, importer: sql.import });
      await sql.hardDeleteRun(ids[0]); // as if interrupted before this run
      await sql.logMetric(ids[1], { key: "extra", value: 1, step: 0, timestamp: 1 }); // stale copy
      const done: number[] = [];
      const r = await migrate({
        source: src,
        target: sql,
        importer: sql.import,
        progress: (n, total) => done.push(n, total),
      });
      assert.deepEqual([r.copiedRuns, r.skippedRuns, r.mismatches], [2, 5, []]);
      assert.deepEqual(done.slice(-2), [7, 7]);
      assert.deepEqual(await snapshot(sql), await snapshot(src));
      // A file target: a run without its meta.yaml is an unfinished copy, redone.
      const root = join(dir, "back");
      const back = new FileStore(root, quiet);
      try {
        await migrate({ source: sql, target: back, importer: new FileImport(root) });
        const run = await back.getRun(ids[2]);
        const exp = run.info.experimentId;
        Deno.removeSync(join(root, exp, ids[2], "meta.yaml"));
        const again = new FileStore(root, quiet);
        const r2 = await migrate({ source: sql, target: again, importer: new FileImport(root) });
        assert.deepEqual([r2.copiedRuns, r2.skippedRuns, r2.mismatches], [1, 6, []]);
        await again.close();
      } finally {
        await back.close();
      }
    } finally {
      await Promise.all([src.close(), sql.close()]);
    }
  });
});

Deno.test("mlt migrate: verifies the copy and exits 1 when the target differs", async () => {
  await withDir(async (dir) => {
    const src = new FileStore(join(dir, "mlruns"), { ...quiet, clock: clock() });
    await fill(src);
    await src.close();
    const target = `sqlite:///${join(dir, "t.db")}`;
    const argv = ["migrate", "--from", join(dir, "mlruns"), "--to", target, "--quiet"];
    try {
      assert.equal(await main(argv), 0);
      const sql = new SqliteStore(target, quiet);
      await sql.createRun({ experimentId: "0", runName: "not in the source" });
      const runs = (await sql.searchRuns({ experimentIds: ["0"] })).items;
      await sql.close();
      assert.equal(runs.length, 1);
      assert.equal(await main(argv), 1);
      Deno.exitCode = 0;
      assert.equal(await main(["migrate", "--from", target, "--to", target]), 2);
    } finally {
      Deno.exitCode = 0;
    }
  });
});
