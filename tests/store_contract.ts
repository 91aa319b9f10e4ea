/**
 * The behaviour every TrackingStore must have, written against the interface only, so each store
 * (file, SQLite, REST) runs the same cases: `storeContract("file", makeStore)`.
 */
import assert from "node:assert/strict";
import { type ErrorCode, MltError } from "../src/errors.ts";
import type { Metric, Run } from "../src/model.ts";
import type { TrackingStore } from "../src/store/store.ts";

/** The first time of the tests' clocks. */
export const T0 = 1732000000000;

/** A clock for a store under test: T0 (or `start`), then one millisecond later at each call. */
export function fakeClock(start = T0): () => number {
  let t = start;
  return () => t++;
}

/** A fresh, empty store and how to dispose of it. */
export type MakeStore = () => Promise<{ store: TrackingStore; cleanup(): Promise<void> }>;

/** Asserts that `p` rejects with an MltError of `code` whose message contains `part`. */
export async function rejectsWith(
  p: Promise<unknown>,
  code: ErrorCode,
  part?: string | RegExp,
): Promise<MltError> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof MltError, `expected MltError ${code}, got ${err}`);
  assert.equal(err.code, code, err.message);
  if (typeof part === "string") assert.ok(err.message.includes(part), err.message);
  else if (part) assert.match(err.message, part);
  return err;
}

const BAD_KEYS = ["../x", "/abs", "a\\b", "a\0b", "a//b", "", "a/", "./a", "a/../b"];

function metric(key: string, value: number, step = 0, timestamp = 1000): Metric {
  return { key, value, timestamp, step };
}

function tagOf(run: Run, key: string): string | undefined {
  return run.data.tags.find((t) => t.key === key)?.value;
}

/** A lone UTF-16 surrogate: not text, and MLflow's YAML reader rejects its `\uD800` escape. */
export const LONE = "a\uD800b";

/** Every write that stores client text, each given a lone surrogate: `[what, attempt]`. */
export function loneSurrogateWrites(
  s: TrackingStore,
  expId: string,
  runId: string,
): [string, () => Promise<unknown>][] {
  const ds = { name: "d", digest: "1", sourceType: "local", source: "{}" };
  return [
    ["experiment name", () => s.createExperiment(`x${LONE}`)],
    ["experiment name (\uDC00 first)", () => s.createExperiment("\uDC00x")],
    [
      "experiment tag value",
      () => s.createExperiment("t1", undefined, [{ key: "k", value: LONE }]),
    ],
    ["artifact location", () => s.createExperiment("t2", `/tmp/${LONE}`)],
    ["rename", () => s.renameExperiment(expId, LONE)],
    ["set experiment tag", () => s.setExperimentTag(expId, { key: "k", value: LONE })],
    ["run name", () => s.createRun({ experimentId: expId, runName: LONE })],
    [
      "run name tag",
      () => s.createRun({ experimentId: expId, tags: [{ key: "mlflow.runName", value: LONE }] }),
    ],
    ["user id", () => s.createRun({ experimentId: expId, userId: LONE })],
    ["update run name", () => s.updateRun({ runId, runName: LONE })],
    ["param value", () => s.logParam(runId, { key: "p", value: LONE })],
    ["param key", () => s.logParam(runId, { key: LONE, value: "v" })],
    ["metric key", () => s.logMetric(runId, metric(LONE, 1))],
    ["tag value", () => s.setTag(runId, { key: "t", value: LONE })],
    ["batch tag", () => s.logBatch(runId, { tags: [{ key: "t", value: LONE }] })],
    ["dataset name", () => s.logInputs(runId, [{ tags: [], dataset: { ...ds, name: LONE } }])],
    ["dataset source", () => s.logInputs(runId, [{ tags: [], dataset: { ...ds, source: LONE } }])],
    [
      "input tag",
      () =>
        s.logInputs(runId, [{ tags: [{ key: "mlflow.data.context", value: LONE }], dataset: ds }]),
    ],
  ];
}

/** Skips the input-order case for a file store (and a REST store over one). */
export const FILE_INPUT_ORDER = {
  "a run's dataset inputs come back in the order they were logged":
    "MLflow's FileStore lists a run's inputs in directory order (random ids): there is none to keep",
};

/**
 * The `test(title, fn)` of a contract: a Deno test named `<name>: <title>` that runs `fn` on a
 * fresh store and disposes of it; titles in `skip` are ignored (the value says why).
 */
export function contractTest(
  name: string,
  makeStore: MakeStore,
  skip: Record<string, string>,
): (title: string, fn: (s: TrackingStore) => Promise<void>) => void {
  return (title, fn) => {
    Deno.test({
      name: `${name}: ${title}`,
      ignore: title in skip,
      fn: async () => {
        const { store, cleanup } = await makeStore();
        try {
          await fn(store);
        } finally {
          await store.close();
          await cleanup();
        }
      },
    });
  };
}

/** Registers the contract's Deno tests for one store; `skip` maps test names to reasons. */
export function storeContract(
  name: string,
  makeStore: MakeStore,
  skip: Record<string, string> = {},
): void {
  const test = contractTest(name, makeStore, skip);

  // ---- experiments ----

  test("the default experiment '0' exists after the first write", async (s) => {
    await s.createExperiment("first");
    const exp = await s.getExperiment("0");
    assert.equal(exp.name, "Default");
    assert.equal(exp.lifecycleStage, "active");
    assert.equal((await s.getExperimentByName("Default"))?.experimentId, "0");
  });

  test("createExperiment() stores name, location, times and tags", async (s) => {
    const id = await s.createExperiment("e1", undefined, [{ key: "team", value: "ml" }]);
    assert.match(id, /^[0-9]+$/);
    const exp = await s.getExperiment(id);
    assert.equal(exp.experimentId, id);
    assert.equal(exp.name, "e1");
    assert.equal(exp.lifecycleStage, "active");
    assert.ok(exp.artifactLocation.endsWith(`/${id}`), exp.artifactLocation);
    assert.ok(exp.creationTime! > 0 && exp.lastUpdateTime! >= exp.creationTime!);
    assert.deepEqual(exp.tags, [{ key: "team", value: "ml" }]);
    const custom = await s.createExperiment("e2", "s3://bucket/path");
    assert.equal((await s.getExperiment(custom)).artifactLocation, "s3://bucket/path");
  });

  test("experiment names are unique across active and deleted experiments", async (s) => {
    const id = await s.createExperiment("dup");
    await rejectsWith(s.createExperiment("dup"), "RESOURCE_ALREADY_EXISTS", "'dup' already exists");
    await s.deleteExperiment(id);
    await rejectsWith(s.createExperiment("dup"), "RESOURCE_ALREADY_EXISTS", "deleted state");
    await rejectsWith(s.createExperiment(""), "INVALID_PARAMETER_VALUE");
    await rejectsWith(s.createExperiment("x".repeat(501)), "INVALID_PARAMETER_VALUE");
  });

  test("getExperiment() of a missing or invalid id", async (s) => {
    await s.createExperiment("x");
    await rejectsWith(s.getExperiment("123456"), "RESOURCE_DOES_NOT_EXIST");
    for (const id of ["../0", "/etc", "a/b", "", ".trash"]) {
      await rejectsWith(s.getExperiment(id), "INVALID_PARAMETER_VALUE");
    }
    assert.equal(await s.getExperimentByName("nope"), undefined);
  });

  test("getExperimentByName() finds active and deleted experiments", async (s) => {
    const a = await s.createExperiment("it's");
    assert.equal((await s.getExperimentByName("it's"))?.experimentId, a);
    await s.deleteExperiment(a);
    assert.equal((await s.getExperimentByName("it's"))?.lifecycleStage, "deleted");
  });

  test("renameExperiment() renames active experiments only", async (s) => {
    const a = await s.createExperiment("a");
    await s.createExperiment("b");
    await s.renameExperiment(a, "a2");
    assert.equal((await s.getExperiment(a)).name, "a2");
    assert.equal(await s.getExperimentByName("a"), undefined);
    await rejectsWith(s.renameExperiment(a, "b"), "RESOURCE_ALREADY_EXISTS");
    await rejectsWith(s.renameExperiment(a, ""), "INVALID_PARAMETER_VALUE");
    await rejectsWith(s.renameExperiment("999", "z"), "RESOURCE_DOES_NOT_EXIST");
    await s.deleteExperiment(a);
    await rejectsWith(s.renameExperiment(a, "a3"), "INVALID_PARAMETER_VALUE", "active");
  });

  test("deleteExperiment() and restoreExperiment() carry the runs along", async (s) => {
    const id = await s.createExperiment("d");
    const r1 = (await s.createRun({ experimentId: id })).info.runId;
    const r2 = (await s.createRun({ experimentId: id })).info.runId;
    await s.deleteRun(r2);
    await s.deleteExperiment(id);
    const exp = await s.getExperiment(id);
    assert.equal(exp.lifecycleStage, "deleted");
    const run1 = await s.getRun(r1);
    assert.equal(run1.info.lifecycleStage, "deleted");
    assert.ok(run1.info.deletedTime !== undefined);
    await rejectsWith(s.deleteExperiment(id), "RESOURCE_DOES_NOT_EXIST");
    await s.restoreExperiment(id);
    assert.equal((await s.getExperiment(id)).lifecycleStage, "active");
    // MLflow restores every deleted run, also ones deleted on their own before.
    for (const r of [r1, r2]) {
      const run = await s.getRun(r);
      assert.equal(run.info.lifecycleStage, "active");
      assert.equal(run.info.deletedTime, undefined);
    }
    await rejectsWith(s.restoreExperiment(id), "RESOURCE_DOES_NOT_EXIST");
  });

  test("the default experiment cannot be deleted (400, not 500)", async (s) => {
    await s.createExperiment("x");
    const e = await rejectsWith(s.deleteExperiment("0"), "INVALID_PARAMETER_VALUE", "default");
    assert.equal(e.status, 400);
    await rejectsWith(s.deleteExperiment("4242"), "RESOURCE_DOES_NOT_EXIST");
  });

  test("searchExperiments() filters, orders, pages and honours the view type", async (s) => {
    const ids: string[] = [];
    for (const n of ["alpha", "beta", "gamma", "delta"]) ids.push(await s.createExperiment(n));
    await s.setExperimentTag(ids[1], { key: "team", value: "x" });
    await s.deleteExperiment(ids[3]);
    const names = async (req: Parameters<TrackingStore["searchExperiments"]>[0]) =>
      (await s.searchExperiments(req)).items.map((e) => e.name);
    assert.deepEqual(await names({ orderBy: ["name ASC"] }), ["Default", "alpha", "beta", "gamma"]);
    assert.deepEqual(await names({ viewType: "DELETED_ONLY" }), ["delta"]);
    assert.equal((await names({ viewType: "ALL" })).length, 5);
    assert.deepEqual(await names({ filter: "name LIKE '%a'", orderBy: ["name DESC"] }), [
      "gamma",
      "beta",
      "alpha",
    ]);
    assert.deepEqual(await names({ filter: "tags.team = 'x'" }), ["beta"]);
    const p1 = await s.searchExperiments({ maxResults: 2, orderBy: ["name"] });
    assert.deepEqual(p1.items.map((e) => e.name), ["Default", "alpha"]);
    assert.ok(p1.nextPageToken);
    const p2 = await s.searchExperiments({
      maxResults: 2,
      orderBy: ["name"],
      pageToken: p1.nextPageToken,
    });
    assert.deepEqual(p2.items.map((e) => e.name), ["beta", "gamma"]);
    assert.equal(p2.nextPageToken, undefined);
    await rejectsWith(s.searchExperiments({ maxResults: 0 }), "INVALID_PARAMETER_VALUE");
    await rejectsWith(s.searchExperiments({ maxResults: 50001 }), "INVALID_PARAMETER_VALUE");
    await rejectsWith(
      s.searchExperiments({ filter: "name = 'a' OR name = 'b'" }),
      "INVALID_PARAMETER_VALUE",
    );
  });

  test("experiment tags: set, upsert, delete", async (s) => {
    const id = await s.createExperiment("t");
    await s.setExperimentTag(id, { key: "a/b", value: "1" });
    await s.setExperimentTag(id, { key: "a/b", value: "2" });
    await s.setExperimentTag(id, { key: "note", value: "" });
    const tags = (await s.getExperiment(id)).tags.sort((x, y) => x.key < y.key ? -1 : 1);
    assert.deepEqual(tags, [{ key: "a/b", value: "2" }, { key: "note", value: "" }]);
    await s.deleteExperimentTag(id, "a/b");
    assert.deepEqual((await s.getExperiment(id)).tags, [{ key: "note", value: "" }]);
    await rejectsWith(s.deleteExperimentTag(id, "a/b"), "RESOURCE_DOES_NOT_EXIST");
    for (const key of BAD_KEYS) {
      await rejectsWith(s.setExperimentTag(id, { key, value: "v" }), "INVALID_PARAMETER_VALUE");
    }
    await s.deleteExperiment(id);
    await rejectsWith(
      s.setExperimentTag(id, { key: "k", value: "v" }),
      "INVALID_PARAMETER_VALUE",
      "active",
    );
  });

  // ---- runs ----

  test("createRun() fills MLflow's defaults", async (s) => {
    const id = await s.createExperiment("r");
    const run = await s.createRun({ experimentId: id, startTime: 1234 });
    const exp = await s.getExperiment(id);
    assert.match(run.info.runId, /^[0-9a-f]{32}$/);
    assert.equal(run.info.experimentId, id);
    assert.equal(run.info.status, "RUNNING");
    assert.equal(run.info.lifecycleStage, "active");
    assert.equal(run.info.userId, "unknown");
    assert.equal(run.info.startTime, 1234);
    assert.equal(run.info.endTime, undefined);
    assert.equal(run.info.artifactUri, `${exp.artifactLocation}/${run.info.runId}/artifacts`);
    assert.ok(run.info.runName && run.info.runName.length <= 20, run.info.runName);
    assert.equal(tagOf(run, "mlflow.runName"), run.info.runName);
    assert.deepEqual(run.data.metrics, []);
    assert.deepEqual(run.data.params, []);
    assert.deepEqual(await s.getRun(run.info.runId), run);
  });

  test("createRun() takes its name from the argument or the mlflow.runName tag", async (s) => {
    const r1 = await s.createRun({
      runName: "n1",
      userId: "alice",
      tags: [{ key: "k", value: "v" }],
    });
    assert.equal(r1.info.experimentId, "0");
    assert.equal(r1.info.runName, "n1");
    assert.equal(r1.info.userId, "alice");
    assert.equal(tagOf(r1, "mlflow.runName"), "n1");
    assert.equal(tagOf(r1, "k"), "v");
    const r2 = await s.createRun({ tags: [{ key: "mlflow.runName", value: "from-tag" }] });
    assert.equal(r2.info.runName, "from-tag");
    await rejectsWith(
      s.createRun({ runName: "a", tags: [{ key: "mlflow.runName", value: "b" }] }),
      "INVALID_PARAMETER_VALUE",
      "run_name='a', mlflow.runName='b'",
    );
  });

  test("createRun() in a missing or deleted experiment", async (s) => {
    const id = await s.createExperiment("gone");
    await s.deleteExperiment(id);
    await rejectsWith(s.createRun({ experimentId: id }), "INVALID_STATE");
    await rejectsWith(s.createRun({ experimentId: "98765" }), "RESOURCE_DOES_NOT_EXIST");
    await rejectsWith(s.createRun({ experimentId: "../0" }), "INVALID_PARAMETER_VALUE");
  });

  test("getRun() of a missing or invalid id", async (s) => {
    await s.createRun({});
    await rejectsWith(s.getRun("0123456789abcdef0123456789abcdef"), "RESOURCE_DOES_NOT_EXIST");
    for (const id of ["../../etc", "/x", "a/b", "", ".trash"]) {
      await rejectsWith(s.getRun(id), "INVALID_PARAMETER_VALUE");
    }
  });

  test("updateRun() sets status, end time and name", async (s) => {
    const run = await s.createRun({});
    const id = run.info.runId;
    const info = await s.updateRun({ runId: id, status: "FINISHED", endTime: 99 });
    assert.equal(info.status, "FINISHED");
    assert.equal(info.endTime, 99);
    assert.equal(info.runName, run.info.runName);
    await s.updateRun({ runId: id, runName: "better" });
    const got = await s.getRun(id);
    assert.equal(got.info.runName, "better");
    assert.equal(got.info.status, "FINISHED");
    assert.equal(tagOf(got, "mlflow.runName"), "better");
  });

  test("deleted runs refuse every mutation but can be read and restored", async (s) => {
    const id = (await s.createRun({})).info.runId;
    await s.deleteRun(id);
    const run = await s.getRun(id);
    assert.equal(run.info.lifecycleStage, "deleted");
    assert.ok(run.info.deletedTime !== undefined);
    const msg = `The run ${id} must be in the 'active' state`;
    await rejectsWith(s.logMetric(id, metric("m", 1)), "INVALID_PARAMETER_VALUE", msg);
    await rejectsWith(s.logParam(id, { key: "p", value: "1" }), "INVALID_PARAMETER_VALUE", msg);
    await rejectsWith(s.setTag(id, { key: "t", value: "1" }), "INVALID_PARAMETER_VALUE", msg);
    await rejectsWith(
      s.logBatch(id, { params: [{ key: "p", value: "1" }] }),
      "INVALID_PARAMETER_VALUE",
      msg,
    );
    await rejectsWith(s.updateRun({ runId: id, status: "FAILED" }), "INVALID_PARAMETER_VALUE", msg);
    await rejectsWith(s.deleteTag(id, "mlflow.runName"), "INVALID_PARAMETER_VALUE", msg);
    assert.deepEqual((await s.getRun(id)).data.params, []);
    await s.restoreRun(id);
    const back = await s.getRun(id);
    assert.equal(back.info.lifecycleStage, "active");
    assert.equal(back.info.deletedTime, undefined);
    await s.logParam(id, { key: "p", value: "1" });
  });

  test("latest metric is the max by (step, timestamp, value)", async (s) => {
    const id = (await s.createRun({})).info.runId;
    await s.logMetric(id, metric("m", 5, 2, 10));
    await s.logMetric(id, metric("m", 1, 3, 5));
    await s.logMetric(id, metric("m", 7, 3, 5));
    await s.logMetric(id, metric("m", 0, 1, 99));
    const m = (await s.getRun(id)).data.metrics;
    assert.equal(m.length, 1);
    assert.deepEqual([m[0].key, m[0].value, m[0].step, m[0].timestamp], ["m", 7, 3, 5]);
  });

  test("metric values NaN, ±Infinity, -0 and tiny numbers round-trip", async (s) => {
    const id = (await s.createRun({})).info.runId;
    const values = [NaN, Infinity, -Infinity, 1e-5, 1e16, 0.1, -2.5, 3];
    for (const [i, v] of values.entries()) await s.logMetric(id, metric("v", v, i));
    const hist = (await s.getMetricHistory(id, "v")).items;
    assert.equal(hist.length, values.length);
    hist.forEach((p, i) => assert.ok(Object.is(p.value, values[i]), `${p.value} vs ${values[i]}`));
  });

  test("latest metric values NaN, ±Infinity, tiny and huge numbers in getRun and searchRuns", async (s) => {
    const exp = await s.createExperiment("latest-values");
    const id = (await s.createRun({ experimentId: exp })).info.runId;
    const values = [NaN, Infinity, -Infinity, 5e-324, 1e300, 0.1, -2.5, 1e16];
    await s.logBatch(id, { metrics: values.map((v, i) => metric(`k${i}`, v, 0, 1)) });
    const want = values.map((v, i) => [`k${i}`, v]);
    // By key: the file store lists them in its folder's order.
    const byKey = (ms: Metric[]) =>
      ms.map((m) => [m.key, m.value] as const).sort((a, b) => a[0] < b[0] ? -1 : 1);
    const got = byKey((await s.getRun(id)).data.metrics);
    const found = byKey((await s.searchRuns({ experimentIds: [exp] })).items[0].data.metrics);
    for (const [name, list] of [["getRun", got], ["searchRuns", found]] as const) {
      assert.equal(list.length, want.length, name);
      want.forEach(([k, v], i) => {
        assert.equal(list[i][0], k, name);
        assert.ok(Object.is(list[i][1], v), `${name} ${k}: ${list[i][1]} vs ${v}`);
      });
    }
  });

  test("getMetricHistory() returns every point in logging order, paged", async (s) => {
    const id = (await s.createRun({})).info.runId;
    for (let i = 0; i < 25; i++) await s.logMetric(id, metric("h", i, 100 - i, 1000 + i));
    await s.logMetric(id, metric("h", 0, 100, 1000)); // duplicates are kept
    const all = await s.getMetricHistory(id, "h");
    assert.equal(all.items.length, 26);
    assert.equal(all.nextPageToken, undefined);
    assert.deepEqual(all.items.slice(0, 3).map((p) => p.value), [0, 1, 2]);
    assert.equal((await s.getMetricHistory(id, "h", { maxResults: 0 })).items.length, 26);
    const p1 = await s.getMetricHistory(id, "h", { maxResults: 10 });
    assert.equal(p1.items.length, 10);
    const p2 = await s.getMetricHistory(id, "h", { maxResults: 10, pageToken: p1.nextPageToken });
    const p3 = await s.getMetricHistory(id, "h", { maxResults: 10, pageToken: p2.nextPageToken });
    assert.deepEqual([p2.items[0].value, p3.items.length, p3.nextPageToken], [10, 6, undefined]);
    assert.deepEqual((await s.getMetricHistory(id, "none")).items, []);
    await rejectsWith(s.getMetricHistory(id, "../x"), "INVALID_PARAMETER_VALUE");
    await rejectsWith(
      s.getMetricHistory("0123456789abcdef0123456789abcdef", "h"),
      "RESOURCE_DOES_NOT_EXIST",
    );
  });

  test("invalid metrics are refused", async (s) => {
    const id = (await s.createRun({})).info.runId;
    await rejectsWith(
      s.logMetric(id, { key: "m", value: "x" as unknown as number, timestamp: 1, step: 0 }),
      "INVALID_PARAMETER_VALUE",
    );
    await rejectsWith(s.logMetric(id, metric("m", 1, 0, -1)), "INVALID_PARAMETER_VALUE");
    await rejectsWith(s.logMetric(id, metric("m", 1, 0.5)), "INVALID_PARAMETER_VALUE");
    assert.deepEqual((await s.getRun(id)).data.metrics, []);
  });

  test("params are immutable: same value is a no-op, another value an error", async (s) => {
    const id = (await s.createRun({})).info.runId;
    await s.logParam(id, { key: "lr", value: " 0.1 \n" });
    await s.logParam(id, { key: "lr", value: " 0.1 \n" });
    await rejectsWith(
      s.logParam(id, { key: "lr", value: "0.2" }),
      "INVALID_PARAMETER_VALUE",
      "Changing param values is not allowed. Param with key='lr'",
    );
    await s.logParam(id, { key: "long", value: "x".repeat(7000) });
    const params = (await s.getRun(id)).data.params.sort((a, b) => a.key < b.key ? -1 : 1);
    assert.deepEqual(params.map((p) => [p.key, p.value.length]), [["long", 6000], ["lr", 6]]);
    assert.equal(params[1].value, " 0.1 \n");
    await s.logParam(id, { key: "empty", value: "" });
    assert.equal((await s.getRun(id)).data.params.find((p) => p.key === "empty")?.value, "");
  });

  test("tags: upsert, delete, and mlflow.runName renames the run", async (s) => {
    const id = (await s.createRun({})).info.runId;
    await s.setTag(id, { key: "t", value: "1" });
    await s.setTag(id, { key: "t", value: "2" });
    assert.equal(tagOf(await s.getRun(id), "t"), "2");
    await s.deleteTag(id, "t");
    assert.equal(tagOf(await s.getRun(id), "t"), undefined);
    await rejectsWith(s.deleteTag(id, "t"), "RESOURCE_DOES_NOT_EXIST", "No tag with name: t");
    await s.setTag(id, { key: "mlflow.runName", value: "renamed" });
    assert.equal((await s.getRun(id)).info.runName, "renamed");
    await s.logBatch(id, { tags: [{ key: "mlflow.runName", value: "again" }] });
    assert.equal((await s.getRun(id)).info.runName, "again");
  });

  test("keys with '/' round-trip as relative POSIX paths", async (s) => {
    const id = (await s.createRun({})).info.runId;
    await s.logMetric(id, metric("train/loss/x", 0.5));
    await s.logParam(id, { key: "opt/lr", value: "1" });
    await s.setTag(id, { key: "a/b/c", value: "v" });
    const run = await s.getRun(id);
    assert.deepEqual(run.data.metrics.map((m) => m.key), ["train/loss/x"]);
    assert.deepEqual(run.data.params, [{ key: "opt/lr", value: "1" }]);
    assert.equal(tagOf(run, "a/b/c"), "v");
    assert.equal((await s.getMetricHistory(id, "train/loss/x")).items.length, 1);
  });

  test("invalid keys are refused before anything is written", async (s) => {
    const id = (await s.createRun({})).info.runId;
    for (const key of BAD_KEYS) {
      await rejectsWith(s.logParam(id, { key, value: "v" }), "INVALID_PARAMETER_VALUE", undefined);
      await rejectsWith(s.logMetric(id, metric(key, 1)), "INVALID_PARAMETER_VALUE");
      await rejectsWith(s.setTag(id, { key, value: "v" }), "INVALID_PARAMETER_VALUE");
      await rejectsWith(s.deleteTag(id, key), "INVALID_PARAMETER_VALUE");
    }
    await rejectsWith(
      s.logParam(id, { key: "k".repeat(251), value: "v" }),
      "INVALID_PARAMETER_VALUE",
    );
    const run = await s.getRun(id);
    assert.deepEqual([run.data.params, run.data.metrics, run.data.tags.length], [[], [], 1]);
  });

  test("logBatch() validates everything before writing anything", async (s) => {
    const id = (await s.createRun({})).info.runId;
    await rejectsWith(
      s.logBatch(id, {
        params: [{ key: "ok", value: "1" }],
        metrics: [metric("ok", 1)],
        tags: [{ key: "../bad", value: "x" }],
      }),
      "INVALID_PARAMETER_VALUE",
    );
    await s.logParam(id, { key: "fixed", value: "a" });
    const conflict = await rejectsWith(
      s.logBatch(id, {
        params: [{ key: "new", value: "1" }, { key: "fixed", value: "b" }],
        metrics: [metric("m", 1)],
      }),
      "INVALID_PARAMETER_VALUE",
      "Changing param values",
    );
    assert.equal(conflict.status, 400);
    const params = Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: "v" }));
    await rejectsWith(s.logBatch(id, { params }), "INVALID_PARAMETER_VALUE", "at most 100 params");
    await rejectsWith(
      s.logBatch(id, { params: [{ key: "d", value: "1" }, { key: "d", value: "2" }] }),
      "INVALID_PARAMETER_VALUE",
      "Duplicate parameter keys",
    );
    const run = await s.getRun(id);
    assert.deepEqual(run.data.params, [{ key: "fixed", value: "a" }]);
    assert.deepEqual(run.data.metrics, []);
  });

  test("logBatch() writes params, metrics and tags", async (s) => {
    const id = (await s.createRun({})).info.runId;
    await s.logBatch(id, {
      params: [{ key: "a", value: "1" }, { key: "b", value: "2" }],
      metrics: [metric("m", 1, 0), metric("m", 2, 1), metric("n", 3)],
      tags: [{ key: "t", value: "x" }],
    });
    const run = await s.getRun(id);
    assert.equal(run.data.params.length, 2);
    assert.deepEqual(run.data.metrics.map((m) => [m.key, m.value]).sort(), [["m", 2], ["n", 3]]);
    assert.equal(tagOf(run, "t"), "x");
    assert.equal((await s.getMetricHistory(id, "m")).items.length, 2);
    await s.logBatch(id, {}); // an empty batch is fine
  });

  test("searchRuns() filters on metrics, params, tags and attributes", async (s) => {
    const exp = await s.createExperiment("s");
    const mk = async (name: string, acc: number | undefined, p: string, start: number) => {
      const id =
        (await s.createRun({ experimentId: exp, runName: name, startTime: start })).info.runId;
      if (acc !== undefined) await s.logMetric(id, metric("acc", acc));
      await s.logParam(id, { key: "p", value: p });
      await s.setTag(id, { key: "grp", value: name.slice(0, 1) });
      return id;
    };
    const a = await mk("a1", 0.9, "x", 10);
    const b = await mk("a2", 0.5, "y", 20);
    const c = await mk("b1", undefined, "x", 30);
    const names = async (filter?: string, orderBy?: string[]) =>
      (await s.searchRuns({ experimentIds: [exp], filter, orderBy })).items.map((r) =>
        r.info.runName
      );
    assert.deepEqual(await names(), ["b1", "a2", "a1"]); // start_time DESC by default
    assert.deepEqual(await names("metrics.acc > 0.6"), ["a1"]);
    assert.deepEqual(await names("metrics.acc != 0.6"), ["a2", "a1"]); // runs without acc never match
    assert.deepEqual(await names("params.p = 'x'"), ["b1", "a1"]);
    assert.deepEqual(await names("tags.grp = 'a' and params.p = 'y'"), ["a2"]);
    assert.deepEqual(await names("attributes.run_name LIKE 'a%'"), ["a2", "a1"]);
    assert.deepEqual(await names(`attributes.run_id IN ('${a}', '${c}')`), ["b1", "a1"]);
    assert.deepEqual(await names("attributes.start_time >= 20"), ["b1", "a2"]);
    assert.deepEqual(await names(undefined, ["metrics.acc ASC"]), ["a2", "a1", "b1"]); // missing last
    assert.deepEqual(await names(undefined, ["metrics.acc DESC"]), ["a1", "a2", "b1"]);
    assert.deepEqual(await names(undefined, ["params.p DESC", "start_time ASC"]), [
      "a2",
      "a1",
      "b1",
    ]);
    const full =
      (await s.searchRuns({ experimentIds: [exp], filter: "metrics.acc < 0.6" })).items[0];
    assert.equal(full.info.runId, b);
    assert.deepEqual(full.data.params, [{ key: "p", value: "y" }]);
    assert.equal(tagOf(full, "grp"), "a");
    assert.equal(full.data.metrics[0].value, 0.5);
    await rejectsWith(
      s.searchRuns({ experimentIds: [exp], filter: "metrics.acc >" }),
      "INVALID_PARAMETER_VALUE",
    );
  });

  test("searchRuns() pages, honours the view type and spans experiments", async (s) => {
    const e1 = await s.createExperiment("p1");
    const e2 = await s.createExperiment("p2");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await s.createRun({ experimentId: i < 3 ? e1 : e2, startTime: i })).info.runId);
    }
    await s.deleteRun(ids[0]);
    const req = { experimentIds: [e1, e2], maxResults: 2 };
    const p1 = await s.searchRuns(req);
    const p2 = await s.searchRuns({ ...req, pageToken: p1.nextPageToken });
    assert.deepEqual([...p1.items, ...p2.items].map((r) => r.info.runId), [
      ids[4],
      ids[3],
      ids[2],
      ids[1],
    ]);
    assert.equal(p2.nextPageToken, undefined);
    const del = await s.searchRuns({ experimentIds: [e1, e2], viewType: "DELETED_ONLY" });
    assert.deepEqual(del.items.map((r) => r.info.runId), [ids[0]]);
    assert.equal(
      (await s.searchRuns({ experimentIds: [e1, e2], viewType: "ALL" })).items.length,
      5,
    );
    assert.deepEqual((await s.searchRuns({ experimentIds: [] })).items, []);
    await rejectsWith(
      s.searchRuns({ experimentIds: [e1], maxResults: 50001 }),
      "INVALID_PARAMETER_VALUE",
    );
    await rejectsWith(s.searchRuns({ experimentIds: ["../x"] }), "INVALID_PARAMETER_VALUE");
  });

  test("a deleted experiment's runs are found as deleted", async (s) => {
    const e = await s.createExperiment("gone");
    const id = (await s.createRun({ experimentId: e })).info.runId;
    await s.deleteExperiment(e);
    assert.deepEqual((await s.searchRuns({ experimentIds: [e] })).items, []);
    const all = await s.searchRuns({ experimentIds: [e], viewType: "ALL" });
    assert.deepEqual(all.items.map((r) => r.info.runId), [id]);
  });

  test("logInputs() attaches datasets once and search can filter on them", async (s) => {
    const e = await s.createExperiment("ds");
    const id = (await s.createRun({ experimentId: e })).info.runId;
    const other = (await s.createRun({ experimentId: e })).info.runId;
    const input = {
      tags: [{ key: "mlflow.data.context", value: "training" }],
      dataset: { name: "iris", digest: "abc123", sourceType: "local", source: '{"uri": "/d"}' },
    };
    await s.logInputs(id, [input]);
    await s.logInputs(id, [{ ...input, tags: [{ key: "mlflow.data.context", value: "eval" }] }]);
    const run = await s.getRun(id);
    assert.equal(run.inputs.datasetInputs.length, 1);
    assert.deepEqual(run.inputs.datasetInputs[0].tags, input.tags);
    assert.equal(run.inputs.datasetInputs[0].dataset.name, "iris");
    assert.equal(run.inputs.datasetInputs[0].dataset.digest, "abc123");
    const found = await s.searchRuns({
      experimentIds: [e],
      filter: "datasets.context = 'training'",
    });
    assert.deepEqual(found.items.map((r) => r.info.runId), [id]);
    assert.deepEqual((await s.getRun(other)).inputs.datasetInputs, []);
    await rejectsWith(
      s.logInputs(id, [{ tags: [], dataset: { ...input.dataset, digest: "x".repeat(37) } }]),
      "INVALID_PARAMETER_VALUE",
    );
  });

  test("a run's dataset inputs come back in the order they were logged", async (s) => {
    const e = await s.createExperiment("ds-order");
    const id = (await s.createRun({ experimentId: e })).info.runId;
    const input = (name: string) => ({
      tags: [{ key: "mlflow.data.context", value: name }],
      dataset: { name, digest: `d-${name}`, sourceType: "local", source: `{"uri": "/${name}"}` },
    });
    await s.logInputs(id, [input("zeta"), input("alpha")]);
    await s.logInputs(id, [input("mid")]);
    const names = (r: { inputs: { datasetInputs: { dataset: { name: string } }[] } }) =>
      r.inputs.datasetInputs.map((d) => d.dataset.name);
    assert.deepEqual(names(await s.getRun(id)), ["zeta", "alpha", "mid"]);
    const [found] = (await s.searchRuns({ experimentIds: [e] })).items;
    assert.deepEqual(names(found), ["zeta", "alpha", "mid"]);
    assert.deepEqual(
      found.inputs.datasetInputs.map((d) => d.tags[0].value),
      ["zeta", "alpha", "mid"],
    );
  });

  test("text with a lone UTF-16 surrogate is refused, and nothing is written", async (s) => {
    const e = await s.createExperiment("lone");
    const id = (await s.createRun({ experimentId: e, runName: "r" })).info.runId;
    for (const [what, attempt] of loneSurrogateWrites(s, e, id)) {
      await rejectsWith(attempt().then(() => assert.fail(what)), "INVALID_PARAMETER_VALUE");
    }
    const exps = await s.searchExperiments({ viewType: "ALL" });
    assert.deepEqual(exps.items.map((x) => x.name).sort(), ["Default", "lone"]);
    const exp = await s.getExperiment(e);
    assert.deepEqual([exp.name, exp.tags], ["lone", []]);
    const runs = await s.searchRuns({ experimentIds: [e], viewType: "ALL" });
    assert.deepEqual(runs.items.map((r) => r.info.runId), [id]);
    const run = await s.getRun(id);
    assert.equal(run.info.runName, "r");
    assert.deepEqual([run.data.params, run.data.metrics, run.inputs.datasetInputs], [[], [], []]);
    assert.deepEqual(run.data.tags.map((t) => t.value).filter((v) => !v.isWellFormed()), []);
  });

  test("deletedRunIds() and hard deletes", async (s) => {
    const e = await s.createExperiment("hd");
    const keep = (await s.createRun({ experimentId: e })).info.runId;
    const gone = (await s.createRun({ experimentId: e })).info.runId;
    assert.deepEqual(await s.deletedRunIds(), []);
    await s.deleteRun(gone);
    assert.deepEqual(await s.deletedRunIds(), [gone]);
    assert.deepEqual(await s.deletedRunIds(0), []);
    await s.hardDeleteRun(gone);
    await rejectsWith(s.getRun(gone), "RESOURCE_DOES_NOT_EXIST");
    assert.equal((await s.getRun(keep)).info.lifecycleStage, "active");
    await rejectsWith(s.hardDeleteExperiment(e), "INVALID_PARAMETER_VALUE");
    await s.deleteExperiment(e);
    await s.hardDeleteExperiment(e);
    await rejectsWith(s.getExperiment(e), "RESOURCE_DOES_NOT_EXIST");
    await rejectsWith(s.getRun(keep), "RESOURCE_DOES_NOT_EXIST");
    const again = await s.createExperiment("hd"); // the name is free again
    assert.notEqual(again, e);
  });
}
