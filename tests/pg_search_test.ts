/**
 * The PostgreSQL run search where its plan changes (a filter key driving it as a materialized CTE,
 * chosen from samples; a page's rows read id by id): the same runs in the same order, with the
 * same page tokens, as the file store (search/match.ts in memory) on the same data; and every
 * drivable comparison gives the same pages as the undriven query on the same database. The data
 * hold what a plan change could break: runs without the sorted metric, NaN and ±Infinity, ties
 * on the metric (start_time, then run_uuid break them), several metric and param filters, a
 * deleted run, and another experiment that holds most rows of the keys (so that the sample
 * declines to drive by them).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FileStore } from "../src/store/file/file_store.ts";
import { PgStore } from "../src/store/postgres/pg_store.ts";
import { PgDb } from "../src/store/postgres/pg_db.ts";
import { parseRunFilter } from "../src/search/filter.ts";
import { parseRunOrderBy } from "../src/search/order_by.ts";
import { canDrive, compileRunSearch, POSTGRES } from "../src/store/sqlite/sql.ts";
import type { TrackingStore } from "../src/store/store.ts";
import type { Metric, ViewType } from "../src/model.ts";
import { sharedCluster, stopClusterTest } from "./helpers/postgres.ts";

const T0 = 1_750_000_000_000;

interface Spec {
  name: string;
  exp: "a" | "b" | "c";
  start: number;
  metrics?: Record<string, number | number[]>;
  params?: Record<string, string>;
  tags?: Record<string, string>;
  status?: "FINISHED";
  deleted?: boolean;
}

const SEARCHED: Spec[] = [
  { name: "r01", exp: "a", start: 1, metrics: { acc: 0.9, loss: 0.1 }, params: { lr: "0.01" } },
  { name: "r02", exp: "a", start: 2, metrics: { acc: NaN, loss: 0.3 }, params: { lr: "0.01" } },
  { name: "r03", exp: "a", start: 3, metrics: { loss: Infinity }, params: { lr: "0.1", p: "x" } },
  {
    name: "r04",
    exp: "b",
    start: 4,
    metrics: { acc: 0.9, loss: -Infinity },
    params: { lr: "0.01" },
  },
  { name: "r05", exp: "b", start: 5, metrics: { acc: Infinity }, params: { lr: "0.1" } },
  { name: "r06", exp: "b", start: 6, metrics: { acc: -Infinity, loss: NaN }, tags: { grp: "a" } },
  { name: "r07", exp: "a", start: 7, metrics: { acc: [0.2, 0.95] }, params: { lr: "0.01" } },
  { name: "r08", exp: "a", start: 8, metrics: { acc: 0.5 }, params: { lr: "0.01", p: "xy" } },
  { name: "r09", exp: "b", start: 9, params: { lr: "0.01" }, tags: { grp: "b" } },
  {
    name: "r10",
    exp: "a",
    start: 10,
    metrics: { acc: 0.9 },
    deleted: true,
    params: { lr: "0.01" },
  },
  { name: "r11", exp: "b", start: 11, metrics: { acc: 0.7, loss: 0.2 }, status: "FINISHED" },
  {
    name: "r12",
    exp: "a",
    start: 12,
    metrics: { acc: 0.95 },
    params: { lr: "0.1" },
    tags: { grp: "a" },
  },
  { name: "r13", exp: "b", start: 13, metrics: { loss: 0.5 }, params: { p: "x" } },
  { name: "r14", exp: "a", start: 14, metrics: { acc: 0.5, loss: 0.5 }, params: { lr: "0.01" } },
];

// Experiment c, never searched by the store comparisons: 70 runs holding acc, loss and lr, more
// than the 64 rows a key's sample reads, so most sampled rows are of unsearched runs. Equal start
// times make run_uuid break ties when the driver comparison searches it too.
const OTHERS: Spec[] = Array.from({ length: 70 }, (_, i) => ({
  name: `c${i}`,
  exp: "c" as const,
  start: 100 + (i % 3),
  metrics: { acc: (i % 10) / 10, loss: i % 7 === 0 ? NaN : i / 70 },
  params: { lr: i % 2 ? "0.01" : "0.1" },
}));

type Built = { store: TrackingStore; exps: Record<string, string>; ids: Record<string, string> };

async function build(store: TrackingStore, specs: readonly Spec[]): Promise<Built> {
  const exps: Record<string, string> = {};
  for (const e of ["a", "b", "c"]) exps[e] = await store.createExperiment(`exp-${e}`);
  const ids: Record<string, string> = {};
  for (const r of specs) {
    const run = await store.createRun({
      experimentId: exps[r.exp],
      runName: r.name,
      startTime: T0 + r.start,
    });
    const id = run.info.runId;
    ids[r.name] = id;
    const metrics: Metric[] = [];
    for (const [key, v] of Object.entries(r.metrics ?? {})) {
      (Array.isArray(v) ? v : [v]).forEach((value, step) =>
        metrics.push({ key, value, step, timestamp: T0 + step })
      );
    }
    await store.logBatch(id, {
      metrics,
      params: Object.entries(r.params ?? {}).map(([key, value]) => ({ key, value })),
      tags: Object.entries(r.tags ?? {}).map(([key, value]) => ({ key, value })),
    });
    if (r.status) await store.updateRun({ runId: id, status: r.status, endTime: T0 + 50 });
    if (r.deleted) await store.deleteRun(id);
  }
  return { store, exps, ids };
}

const FILTERS = [
  "",
  "metrics.acc > 0.5",
  "metrics.acc >= 0.9 and params.lr = '0.01'",
  "params.lr = '0.01' and metrics.acc >= 0.9",
  "metrics.acc != 0.9",
  "metrics.acc <= 1e308 and metrics.loss > 0.1",
  "metrics.acc = 1e999",
  "metrics.loss < 1e999 and metrics.acc > -1e999",
  "params.lr IS NULL and metrics.loss > -1e999",
  "params.lr != '0.1' and params.p LIKE 'x%'",
  "tags.grp = 'a' and metrics.acc < 1",
  "tags.grp IS NOT NULL and params.lr IS NULL",
  "metrics.acc > 0.2 and attributes.status = 'FINISHED'",
  "attributes.run_name LIKE 'r1%' and params.lr = '0.01'",
  "metrics.acc < 0.6 and metrics.acc > 0.1 and params.lr = '0.01'",
  "metrics.acc > 0.9 and params.lr = '0.1' and tags.grp = 'b'",
];

const ORDERS = [
  [],
  ["metrics.acc DESC"],
  ["metrics.acc"],
  ["metrics.loss DESC"],
  ["params.lr", "metrics.acc DESC"],
  ["tags.grp DESC", "metrics.acc"],
  ["attributes.start_time"],
  ["run_name DESC"],
];

const VIEWS: ViewType[] = ["ACTIVE_ONLY", "ALL"];

// Every page of a search of experiments a and b, 3 runs a page: run names and tokens.
async function pages(b: Built, filter: string, orderBy: string[], viewType: ViewType) {
  const out: { names: string[]; token?: string }[] = [];
  let pageToken: string | undefined;
  do {
    const page = await b.store.searchRuns({
      experimentIds: [b.exps.a, b.exps.b],
      filter,
      orderBy,
      viewType,
      maxResults: 3,
      pageToken,
    });
    out.push({ names: page.items.map((r) => r.info.runName ?? ""), token: page.nextPageToken });
    pageToken = page.nextPageToken;
  } while (pageToken);
  return out;
}

// With experiment c the samples decline to drive by acc, loss or lr (mostly rows of unsearched
// runs); without it every key has fewer rows than a sample and drives (the smallest first).
for (
  const [label, specs] of [["driven", SEARCHED], ["scanned", [...SEARCHED, ...OTHERS]]] as const
) {
  Deno.test(`PgStore.searchRuns() (${label}): the file store's runs, order and page tokens`, async () => {
    const cluster = sharedCluster();
    const dir = await Deno.makeTempDir({ prefix: "mlt-pg-search-" });
    const opts = { warn: () => {}, artifactRoot: join(dir, "artifacts") };
    const file = await build(new FileStore(join(dir, "mlruns"), opts), specs);
    const pg = await build(new PgStore(cluster.url(cluster.createDatabase()), opts), specs);
    try {
      const sizes = new Set<number>();
      for (const filter of FILTERS) {
        for (const order of ORDERS) {
          for (const view of VIEWS) {
            const want = await pages(file, filter, order, view);
            assert.deepEqual(await pages(pg, filter, order, view), want, `${filter} / ${order}`);
            sizes.add(want.flatMap((p) => p.names).length);
          }
        }
      }
      // The table must select different subsets (and several pages), or it proves nothing.
      assert.ok(sizes.size >= 7 && sizes.has(0) && Math.max(...sizes) >= 13, `${[...sizes]}`);
    } finally {
      await file.store.close();
      await pg.store.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("PostgreSQL: every drivable comparison gives the undriven query's pages", async () => {
  const cluster = sharedCluster();
  const uri = cluster.url(cluster.createDatabase());
  const pg = await build(new PgStore(uri, { warn: () => {} }), [...SEARCHED, ...OTHERS]);
  await pg.store.close();
  const db = new PgDb(uri, {
    shownUri: uri,
    warn: () => {},
    now: Date.now,
    defaultLocation: () => "",
  });
  try {
    let driven = 0, found = 0;
    for (const f of [...FILTERS, "metrics.acc >= 0 and params.lr = '0.1'"]) {
      const filter = parseRunFilter(f);
      for (const order of ORDERS) {
        for (const [limit, offset] of [[1000, 0], [4, 3], [5, 60]]) {
          const base = {
            // Experiment c too: ties of start_time that run_uuid breaks, pages past 64 rows.
            experimentIds: [pg.exps.a, pg.exps.b, pg.exps.c].map(BigInt),
            stages: ["active", "deleted"],
            filter,
            order: parseRunOrderBy(order),
            limit,
            offset,
            dialect: POSTGRES,
          };
          const ids = async (driver?: number) => {
            const q = compileRunSearch({ ...base, driver });
            const rows = await db.read((s) => s.all<{ run_uuid: string }>(q.sql, ...q.params));
            return rows.map((r) => r.run_uuid);
          };
          const want = await ids();
          for (const [i, c] of filter.entries()) {
            if (!canDrive(c)) continue;
            assert.deepEqual(await ids(i), want, `${f} by ${i} / ${order} / ${offset}`);
            driven++;
            if (want.length > 1) found++;
          }
        }
      }
    }
    assert.ok(driven > 400 && found > driven / 3, `${found} of ${driven}`);
  } finally {
    await db.close();
  }
});

stopClusterTest();
