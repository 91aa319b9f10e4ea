/**
 * One table of filters and orders run against the file store (search/match.ts in memory) and the
 * SQLite store (sql.ts compiled to SQL) holding the same data: both must return the same runs and
 * experiments in the same order, with the same page tokens.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { FileStore } from "../src/store/file/file_store.ts";
import { parseRunFilter } from "../src/search/filter.ts";
import { likeMatcher } from "../src/search/match.ts";
import { parseRunOrderBy } from "../src/search/order_by.ts";
import { canDrive, compileRunSearch, ILIKE_FUNCTION } from "../src/store/sqlite/sql.ts";
import { SqliteStore } from "../src/store/sqlite/sqlite_store.ts";
import type { TrackingStore } from "../src/store/store.ts";
import type { Metric, ViewType } from "../src/model.ts";

const T0 = 1_750_000_000_000;

interface RunSpec {
  name: string;
  exp: "a" | "b";
  user: string;
  metrics?: Record<string, number | number[]>;
  params?: Record<string, string>;
  tags?: Record<string, string>;
  status?: "FINISHED" | "FAILED" | "KILLED";
  deleted?: boolean;
  dataset?: [string, string, string]; // name, digest, context
  rename?: string;
}

const RUNS: RunSpec[] = [
  {
    name: "r01",
    exp: "a",
    user: "alice",
    metrics: { acc: 0.9, loss: 0.1 },
    params: { p: "x", lr: "0.1" },
    tags: { grp: "a" },
    status: "FINISHED",
    dataset: ["iris", "d1", "training"],
  },
  {
    name: "r02",
    exp: "a",
    user: "bob",
    metrics: { acc: 0.5, loss: NaN },
    params: { p: "y", lr: "0.01" },
    tags: { grp: "a" },
    status: "FAILED",
  },
  { name: "r03", exp: "a", user: "alice", metrics: { loss: Infinity }, params: { p: "x" } },
  {
    name: "r04",
    exp: "a",
    user: "carol",
    metrics: { acc: -1, loss: -Infinity },
    params: { p: "X" },
    tags: { grp: "B" },
    status: "KILLED",
    dataset: ["iris", "d1", "eval"],
  },
  {
    name: "r05",
    exp: "b",
    user: "alice",
    metrics: { acc: 0.5 },
    params: { p: "100%", lr: "1e-3" },
    tags: { grp: "a", note: "has_underscore" },
  },
  {
    name: "r06",
    exp: "b",
    user: "dave",
    metrics: { acc: 1e300 },
    params: { p: "a_b" },
    tags: { note: "é unicode ✓" },
    dataset: ["wine", "d2", "training"],
    status: "FINISHED",
  },
  { name: "r07", exp: "b", user: "bob", metrics: { acc: NaN }, params: { p: "a*b?[c]" } },
  { name: "r08", exp: "a", user: "eve", metrics: { acc: 0.75 }, params: { p: "x" }, deleted: true },
  { name: "r09", exp: "a", user: "alice", params: { p: "" }, rename: "r09-renamed" },
  { name: "r10", exp: "b", user: "" },
  { name: "r11", exp: "a", user: "Alice", metrics: { acc: 0.9 }, tags: { grp: "b" } },
  { name: "r12", exp: "b", user: "bob", metrics: { acc: [5, 2, 9] }, params: { p: "xyz" } },
];

type Ids = Record<string, string>;

interface Built {
  store: TrackingStore;
  runs: Ids;
  exps: Ids;
}

// The same operations, at the same clock values, on any store.
async function build(store: TrackingStore, setNow: (t: number) => void): Promise<Built> {
  const exps: Ids = {};
  // The first write creates the file store's experiment 0; the SQLite store made it at T0 too.
  setNow(T0);
  await store.setExperimentTag("0", { key: "first", value: "write" });
  const names = ["alpha", "beta", "Gamma", "delta_1", "epsilon%", "zeta"];
  for (const [i, name] of names.entries()) {
    setNow(T0 + 1000 * (i + 1));
    const tags = i % 2 === 0 ? [{ key: "team", value: i === 0 ? "x" : "Y" }] : [];
    exps[name] = await store.createExperiment(name, undefined, tags);
  }
  setNow(T0 + 9000);
  await store.deleteExperiment(exps.zeta);
  setNow(T0 + 9500);
  await store.renameExperiment(exps.beta, "beta-2");
  const runs: Ids = {};
  for (const [i, r] of RUNS.entries()) {
    setNow(T0 + 20_000 + i);
    const exp = r.exp === "a" ? exps.alpha : exps.Gamma;
    const id = (await store.createRun({
      experimentId: exp,
      runName: r.name,
      userId: r.user,
      startTime: 100 + i,
    }))
      .info.runId;
    runs[r.name] = id;
    const metrics: Metric[] = [];
    for (const [key, v] of Object.entries(r.metrics ?? {})) {
      const values = Array.isArray(v) ? v : [v];
      values.forEach((value, step) => metrics.push({ key, value, step, timestamp: T0 + step }));
    }
    await store.logBatch(id, {
      metrics,
      params: Object.entries(r.params ?? {}).map(([key, value]) => ({ key, value })),
      tags: Object.entries(r.tags ?? {}).map(([key, value]) => ({ key, value })),
    });
    if (r.dataset) {
      const [name, digest, context] = r.dataset;
      await store.logInputs(id, [{
        tags: [{ key: "mlflow.data.context", value: context }],
        dataset: { name, digest, sourceType: "local", source: "{}" },
      }]);
    }
    if (r.status) await store.updateRun({ runId: id, status: r.status, endTime: 500 + i });
    if (r.rename) await store.setTag(id, { key: "mlflow.runName", value: r.rename });
    if (r.deleted) await store.deleteRun(id);
  }
  return { store, runs, exps };
}

type Filter = string | ((runs: Ids) => string);

const RUN_FILTERS: Filter[] = [
  "",
  "metrics.acc > 0.6",
  "metrics.acc >= 0.5",
  "metrics.acc < 0.6",
  "metrics.acc <= -1",
  "metrics.acc = 0.5",
  "metrics.acc != 0.5",
  "metrics.acc = 2",
  "metrics.loss != 0",
  "metrics.loss > 1e308",
  "metrics.loss < -1e308",
  "metrics.loss = 1e999",
  "metrics.loss < 1e999",
  "params.p = 'x'",
  "params.p != 'x'",
  "params.p LIKE 'x%'",
  "params.p ILIKE 'x%'",
  "params.p ILIKE 'X'",
  "params.p LIKE 'a_b'",
  "params.p LIKE '%*%'",
  "params.p LIKE '%[%'",
  "params.p LIKE '%?%'",
  "params.p LIKE '100%'",
  "params.p LIKE '%'",
  "params.p LIKE ''",
  "params.p = ''",
  "params.p IS NULL",
  "params.p IS NOT NULL",
  "params.lr = '0.1'",
  "params.lr != '0.1'",
  "tags.grp = 'a'",
  "tags.grp ILIKE 'b'",
  "tags.grp != 'a'",
  "tags.note IS NULL",
  "tags.note LIKE '%é%'",
  "tags.note ILIKE '%É%'",
  "tags.`mlflow.runName` = 'r01'",
  "attributes.run_name = 'r01'",
  "attributes.run_name LIKE 'r0%'",
  "run_name = 'r09-renamed'",
  "attributes.`Run name` ILIKE 'R1%'",
  "attributes.user_id = 'alice'",
  "attributes.user_id ILIKE 'alice'",
  "attributes.user_id = ''",
  "attributes.status = 'FINISHED'",
  "attributes.status != 'RUNNING'",
  "attributes.status LIKE '%ED'",
  "attributes.start_time >= 105",
  "attributes.created < 103",
  "attributes.end_time > 0",
  "attributes.end_time != 5",
  "attributes.artifact_uri LIKE '%/artifacts'",
  (ids) => `attributes.run_id = '${ids.r02}'`,
  (ids) => `attributes.run_id IN ('${ids.r01}', '${ids.r12}', 'ABC')`,
  (ids) => `attributes.run_id NOT IN ('${ids.r01}')`,
  "datasets.name = 'iris'",
  "datasets.context = 'training'",
  "datasets.digest != 'd1'",
  "datasets.name IN ('iris', 'wine')",
  "datasets.context NOT IN ('eval')",
  "datasets.name LIKE 'i%'",
  "metrics.acc > 0 and params.p = 'x' and tags.grp = 'a'",
  "params.p LIKE '%' and metrics.acc != 100 and attributes.status = 'RUNNING'",
  "metrics.acc != 0.5 and metrics.acc < 1",
  "metrics.loss != 0 and params.p != 'x' and tags.grp IS NOT NULL",
  "tags.grp IS NOT NULL and params.lr IS NULL",
  "params.p ILIKE 'x%' and metrics.acc >= 0.5 and attributes.user_id != 'bob'",
  "datasets.name = 'iris' and metrics.acc <= 0.9 and params.p IS NOT NULL",
  (ids) => `attributes.run_id IN ('${ids.r01}', '${ids.r02}') and metrics.acc > 0`,
];

const RUN_ORDERS: string[][] = [
  [],
  ["metrics.acc"],
  ["metrics.acc DESC"],
  ["metrics.loss"],
  ["metrics.loss DESC"],
  ["params.p"],
  ["params.p DESC"],
  ["tags.grp", "metrics.acc DESC"],
  ["tags.note DESC"],
  ["attributes.run_name"],
  ["run_name DESC"],
  ["attributes.user_id", "start_time ASC"],
  ["attributes.status"],
  ["end_time"],
  ["end_time DESC"],
  ["created ASC"],
];

const VIEWS: ViewType[] = ["ACTIVE_ONLY", "DELETED_ONLY", "ALL"];

async function withStores(fn: (file: Built, sql: Built) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mlt-parity-" });
  let now = T0;
  const clock = () => now;
  const setNow = (t: number) => (now = t);
  const opts = { clock, warn: () => {}, artifactRoot: join(dir, "artifacts") };
  const file = new FileStore(join(dir, "mlruns"), opts);
  const sql = new SqliteStore(`sqlite:///${join(dir, "mlflow.db")}`, opts);
  try {
    await fn(await build(file, setNow), await build(sql, setNow));
  } finally {
    await file.close();
    await sql.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("searchRuns(): the file store and the SQLite store agree on every filter and order", async () => {
  await withStores(async (file, sql) => {
    let cases = 0;
    const search = async (b: Built, filter: Filter, orderBy: string[], viewType: ViewType) => {
      const res = await b.store.searchRuns({
        experimentIds: [b.exps.alpha, b.exps.Gamma],
        filter: typeof filter === "string" ? filter : filter(b.runs),
        orderBy,
        viewType,
      });
      return res.items.map((r) => r.info.runName);
    };
    for (const filter of RUN_FILTERS) {
      for (const view of filter === "" ? VIEWS : ["ALL" as const]) {
        const want = await search(file, filter, [], view);
        const f = typeof filter === "string" ? filter : filter(file.runs);
        assert.deepEqual(await search(sql, filter, [], view), want, `filter ${f} (${view})`);
        cases++;
      }
    }
    for (const order of RUN_ORDERS) {
      for (const filter of ["", "metrics.acc != 0"]) {
        const want = await search(file, filter, order, "ALL");
        assert.deepEqual(
          await search(sql, filter, order, "ALL"),
          want,
          `order ${order} / ${filter}`,
        );
        cases++;
      }
    }
    // The table must actually select different subsets, or it proves nothing.
    const sizes = new Set<number>();
    for (const filter of RUN_FILTERS) sizes.add((await search(sql, filter, [], "ALL")).length);
    assert.ok(sizes.size >= 8 && sizes.has(0) && cases > 90, `${[...sizes]} / ${cases}`);
  });
});

// The store drives a search by a filter key or scans runs depending on a sample of the data (on
// data this small it always drives), so every plan is compared with the scan here, page by page.
function everyDriverAgrees(sql: Built): void {
  const db = new DatabaseSync((sql.store as SqliteStore).path, { readOnly: true });
  db.function(ILIKE_FUNCTION, (v, p) => likeMatcher(String(p), true)(String(v)) ? 1 : 0);
  try {
    let driven = 0, found = 0;
    for (const f of RUN_FILTERS) {
      const filter = parseRunFilter(typeof f === "string" ? f : f(sql.runs));
      for (const order of RUN_ORDERS) {
        for (const [limit, offset] of [[1000, 0], [3, 2]]) {
          const base = {
            experimentIds: [sql.exps.alpha, sql.exps.Gamma].map(BigInt),
            stages: ["active", "deleted"],
            filter,
            order: parseRunOrderBy(order),
            limit,
            offset,
          };
          const ids = (driver?: number) => {
            const q = compileRunSearch({ ...base, driver });
            return db.prepare(q.sql).all(...q.params).map((r) => r.run_uuid);
          };
          const want = ids();
          filter.forEach((c, i) => {
            if (!canDrive(c)) return;
            assert.deepEqual(ids(i), want, `${JSON.stringify(c)} / ${order} / ${offset}`);
            driven++;
            if (want.length > 1) found++;
          });
        }
      }
    }
    assert.ok(driven > 1000 && found > driven / 3, `${found} of ${driven}`);
  } finally {
    db.close();
  }
}

Deno.test("searchRuns(): every comparison the SQLite store may drive by gives the same pages", async () => {
  await withStores((_file, sql) => Promise.resolve(everyDriverAgrees(sql)));
});

Deno.test("searchRuns(): both stores page identically, tokens included", async () => {
  await withStores(async (file, sql) => {
    for (const orderBy of [[], ["metrics.acc DESC"], ["params.p"], ["attributes.run_name"]]) {
      const pages = async (b: Built) => {
        const out: { names: (string | undefined)[]; token?: string }[] = [];
        let pageToken: string | undefined;
        do {
          const page = await b.store.searchRuns({
            experimentIds: [b.exps.alpha, b.exps.Gamma],
            viewType: "ALL",
            orderBy,
            maxResults: 5,
            pageToken,
          });
          out.push({ names: page.items.map((r) => r.info.runName), token: page.nextPageToken });
          pageToken = page.nextPageToken;
        } while (pageToken);
        return out;
      };
      const want = await pages(file);
      assert.equal(want.length, 3);
      assert.deepEqual(await pages(sql), want, `order ${orderBy}`);
    }
  });
});

Deno.test("searchExperiments(): both stores agree on filters, orders and view types", async () => {
  await withStores(async (file, sql) => {
    const filters = [
      "",
      "name = 'alpha'",
      "name != 'alpha'",
      "name LIKE '%a'",
      "name ILIKE 'g%'",
      "name LIKE 'delta_1'",
      "name LIKE '%\\%'",
      "name LIKE 'epsilon%'",
      "tags.team = 'x'",
      "tags.team ILIKE 'y'",
      "tags.team IS NULL",
      "tags.team IS NOT NULL",
      `creation_time > ${T0 + 2000}`,
      `last_update_time <= ${T0 + 3000}`,
      `creation_time = ${T0 + 1000} and tags.team != 'Y'`,
    ];
    const orders = [[], ["name"], ["name DESC"], ["creation_time"], ["last_update_time DESC"]];
    for (const filter of filters) {
      for (const orderBy of orders) {
        for (const viewType of VIEWS) {
          const names = async (b: Built) =>
            (await b.store.searchExperiments({ filter, orderBy, viewType })).items.map((e) =>
              e.name
            );
          assert.deepEqual(
            await names(sql),
            await names(file),
            `${filter} / ${orderBy} / ${viewType}`,
          );
        }
      }
    }
  });
});
