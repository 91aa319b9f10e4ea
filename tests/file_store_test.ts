/**
 * The file store: the shared contract in temp dirs, plus what only a file store has: exact bytes
 * on disk, hand-corrupted trees, symlinks, cache freshness and writers in several processes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { MltError } from "../src/errors.ts";
import { FileStore } from "../src/store/file/file_store.ts";
import { openStore } from "../src/store/open.ts";
import { readUntil, STORE_WORKER, storeWorkers } from "./helpers/process.ts";
import { fakeClock, FILE_INPUT_ORDER, rejectsWith, storeContract, T0 } from "./store_contract.ts";

storeContract("file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-contract-" });
  const store = new FileStore(join(dir, "mlruns"), { clock: fakeClock(), warn: () => {} });
  return { store, cleanup: () => Deno.remove(dir, { recursive: true }) };
}, FILE_INPUT_ORDER);

interface Ctx {
  dir: string;
  root: string;
  store: FileStore;
  warnings: string[];
  fresh(): FileStore;
}

function fileTest(name: string, fn: (c: Ctx) => Promise<void>): void {
  Deno.test(`FileStore ${name}`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "mlt file (store) " });
    const root = join(dir, "mlruns");
    const warnings: string[] = [];
    const opts = { clock: fakeClock(), warn: (m: string) => warnings.push(m) };
    const ctx: Ctx = {
      dir,
      root,
      warnings,
      store: new FileStore(root, opts),
      fresh: () => new FileStore(root, opts),
    };
    try {
      await fn(ctx);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

const read = (path: string) => Deno.readTextFileSync(path);

// Every file under `dir` with its bytes, to prove that reads change nothing.
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      const p = join(d, e.name);
      if (e.isDirectory) walk(p);
      else if (e.isFile) out.set(p, read(p));
    }
  };
  walk(dir);
  return out;
}

// Makes a folder look older than the "being created right now" grace period.
function age(path: string): void {
  const old = new Date(Date.now() - 60_000);
  Deno.utimeSync(path, old, old);
}

fileTest("creates the root, experiment 0 and .trash on the first write only", async (c) => {
  // Listed before it exists, as MLflow's FileStore creates it on open; reads write nothing.
  const pending = {
    experimentId: "0",
    name: "Default",
    artifactLocation: `${c.store.uri}/0`,
    lifecycleStage: "active",
    creationTime: T0,
    lastUpdateTime: T0,
    tags: [],
  };
  assert.deepEqual((await c.store.searchExperiments({})).items, [pending]);
  assert.deepEqual((await c.store.searchExperiments({ filter: "name = 'x'" })).items, []);
  assert.deepEqual(await c.store.getExperiment("0"), pending);
  assert.deepEqual(await c.store.getExperimentByName("Default"), pending);
  assert.deepEqual((await c.store.searchRuns({ experimentIds: ["0"] })).items, []);
  assert.throws(() => Deno.statSync(c.root));
  await c.store.createExperiment("x");
  assert.deepEqual(await c.store.getExperiment("0"), pending, "the same experiment, now written");
  assert.ok(Deno.statSync(join(c.root, ".trash")).isDirectory);
  const uri = new URL(`file://${c.root}`).href.replace("(", "%28").replace(")", "%29");
  assert.equal(
    read(join(c.root, "0", "meta.yaml")),
    `artifact_location: ${uri}/0\ncreation_time: ${T0}\nexperiment_id: '0'\n` +
      `last_update_time: ${T0}\nlifecycle_stage: active\nname: Default\n`,
  );
  assert.equal(c.store.uri, uri);
});

fileTest("writes run meta.yaml, metric, param and tag files byte for byte", async (c) => {
  const run = await c.store.createRun({ runName: "bold-ant-1", userId: "alice", startTime: 5 });
  const id = run.info.runId;
  const rdir = join(c.root, "0", id);
  const meta = `artifact_uri: ${run.info.artifactUri}\ndeleted_time: null\nend_time: null\n` +
    `entry_point_name: ''\nexperiment_id: '0'\nlifecycle_stage: active\nrun_id: ${id}\n` +
    "run_name: bold-ant-1\nsource_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: 5\n" +
    "status: 1\ntags: []\nuser_id: alice\n";
  assert.equal(read(join(rdir, "meta.yaml")), meta);
  assert.ok(run.info.artifactUri.endsWith(`/mlruns/0/${id}/artifacts`));
  for (const sub of ["metrics", "params", "artifacts"]) assert.ok(Deno.statSync(join(rdir, sub)));
  await c.store.logMetric(id, { key: "a/b", value: 0.1, timestamp: 7, step: 0 });
  await c.store.logMetric(id, { key: "a/b", value: 1e-5, timestamp: 8, step: 1 });
  await c.store.logMetric(id, { key: "a/b", value: NaN, timestamp: 9, step: 2 });
  await c.store.logMetric(id, { key: "a/b", value: -Infinity, timestamp: 9, step: 3 });
  await c.store.logMetric(id, { key: "a/b", value: 10, timestamp: 9, step: 4 });
  assert.equal(
    read(join(rdir, "metrics", "a", "b")),
    "7 0.1 0\n8 1e-05 1\n9 nan 2\n9 -inf 3\n9 10.0 4\n",
  );
  await c.store.logParam(id, { key: "lr", value: "0.01" });
  assert.equal(read(join(rdir, "params", "lr")), "0.01");
  assert.equal(read(join(rdir, "tags", "mlflow.runName")), "bold-ant-1");
  await c.store.updateRun({ runId: id, status: "FINISHED", endTime: 10 });
  const after = read(join(rdir, "meta.yaml"));
  assert.ok(after.includes("status: 3\n") && after.includes("end_time: 10\n"));
  assert.ok(!after.includes("deleted_time"), "a rewrite drops deleted_time as MLflow does");
  await c.store.deleteRun(id);
  assert.match(read(join(rdir, "meta.yaml")), /deleted_time: \d+\n/);
  // No temp file is left behind anywhere.
  for (const p of snapshot(c.root).keys()) assert.ok(!p.includes(".mlt-tmp-"), p);
});

fileTest("meta.yaml is replaced by rename, never truncated in place", async (c) => {
  const id = (await c.store.createRun({})).info.runId;
  const path = join(c.root, "0", id, "meta.yaml");
  const before = Deno.statSync(path).ino;
  await c.store.updateRun({ runId: id, status: "FAILED" });
  assert.notEqual(Deno.statSync(path).ino, before);
});

fileTest("deleteExperiment() moves the folder to .trash with MLflow's keys", async (c) => {
  const id = await c.store.createExperiment("gone", undefined, [{ key: "k", value: "v" }]);
  await c.store.deleteExperiment(id);
  assert.throws(() => Deno.statSync(join(c.root, id)));
  const meta = read(join(c.root, ".trash", id, "meta.yaml"));
  assert.ok(meta.includes("lifecycle_stage: deleted\n") && meta.includes("tags:\n  k: v\n"), meta);
  await c.store.restoreExperiment(id);
  assert.ok(read(join(c.root, id, "meta.yaml")).includes("lifecycle_stage: active\n"));
});

fileTest("dataset records and input edges follow MLflow's layout", async (c) => {
  const id = (await c.store.createRun({})).info.runId;
  const dataset = { name: "iris", digest: "d1", sourceType: "local", source: "/data" };
  await c.store.logInputs(id, [{
    tags: [{ key: "mlflow.data.context", value: "train" }],
    dataset,
  }]);
  const { createHash } = await import("node:crypto");
  const md5 = (s: string) => createHash("md5").update(s).digest("hex");
  const dsId = md5("irisd1");
  assert.equal(
    read(join(c.root, "0", "datasets", dsId, "meta.yaml")),
    "digest: d1\nname: iris\nprofile: null\nschema: null\nsource: /data\nsource_type: local\n",
  );
  assert.equal(
    read(join(c.root, "0", id, "inputs", md5(dsId + id), "meta.yaml")),
    `destination_id: ${id}\ndestination_type: RUN\nsource_id: ${dsId}\nsource_type: DATASET\n` +
      "tags:\n  mlflow.data.context: train\n",
  );
});

// Writes a store by hand as an old MLflow would have.
function handWrite(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const p = join(root, rel);
    Deno.mkdirSync(join(p, ".."), { recursive: true });
    Deno.writeTextFileSync(p, text);
  }
}

const RID = "0123456789abcdef0123456789abcdef";

fileTest("reads pre-3.0 stores: run_uuid, int ids, no stage/status, 2-field metrics", async (c) => {
  handWrite(c.root, {
    "0/meta.yaml": "artifact_location: file:///x%20y/0\nexperiment_id: 0\nname: Default\n",
    [`0/${RID}/meta.yaml`]: `artifact_uri: /x/art\nend_time: null\nexperiment_id: 0\nname: ''\n` +
      `run_uuid: ${RID}\nsource_type: 4\nstart_time: 3\ntags: []\nuser_id: bob\n`,
    [`0/${RID}/metrics/loss`]: "100 0.5\n200 0.25 1\n300 0.125 2 ds abc\n",
    [`0/${RID}/params/p`]: "v",
    [`0/${RID}/tags/mlflow.runName`]: "old-name",
  });
  Deno.mkdirSync(join(c.root, ".trash"));
  const before = snapshot(c.root);
  const exp = await c.store.getExperiment("0");
  assert.deepEqual([exp.name, exp.lifecycleStage, exp.artifactLocation], [
    "Default",
    "active",
    "file:///x%20y/0",
  ]);
  const run = await c.store.getRun(RID);
  assert.deepEqual(
    [run.info.runName, run.info.status, run.info.lifecycleStage, run.info.experimentId],
    ["old-name", "RUNNING", "active", "0"],
  );
  assert.deepEqual(run.data.metrics, [
    {
      key: "loss",
      value: 0.125,
      timestamp: 300,
      step: 2,
      datasetName: "ds",
      datasetDigest: "abc",
      runId: RID,
    },
  ]);
  const hist = await c.store.getMetricHistory(RID, "loss");
  assert.deepEqual(hist.items.map((m) => m.step), [0, 1, 2]);
  assert.equal((await c.store.searchRuns({ experimentIds: ["0"] })).items.length, 1);
  assert.deepEqual(snapshot(c.root), before, "reads never rewrite");
});

fileTest(
  "hand-corrupted experiments: listings skip with one warning, gets name the file",
  async (c) => {
    await c.store.createExperiment("good");
    const bad: Record<string, string> = {
      "111/meta.yaml": "",
      "222/meta.yaml": "name: [unclosed\n",
      "333/meta.yaml": "!!python/object/apply:os.system ['touch PWNED']\n",
      "444/meta.yaml":
        "artifact_location: /a\nexperiment_id: '999'\nlifecycle_stage: active\nname: x\n",
      "555/meta.yaml":
        "experiment_id: '555'\nname: z\nartifact_location: /a\nlifecycle_stage: nope\n",
      ".DS_Store": "junk",
      "notes/readme.txt": "hello",
      "models/m/x": "registry",
    };
    handWrite(c.root, bad);
    Deno.mkdirSync(join(c.root, "666")); // no meta.yaml at all
    for (const d of ["111", "222", "333", "444", "555", "666", "notes"]) age(join(c.root, d));
    const before = snapshot(c.root);
    const store = c.fresh();
    const names = async () =>
      (await store.searchExperiments({ viewType: "ALL" })).items.map((e) => e.name).sort();
    assert.deepEqual(await names(), ["Default", "good"]);
    const n = c.warnings.length;
    assert.equal(n, 7, c.warnings.join("\n"));
    assert.deepEqual(await names(), ["Default", "good"]);
    assert.equal(c.warnings.length, n, "one warning per broken entry, not one per search");
    for (
      const [id, part] of [["111", "is empty"], ["222", "YAML"], ["333", "YAML"], ["444", "999"], [
        "555",
        "nope",
      ], ["666", "missing"]]
    ) {
      const e = await rejectsWith(
        store.getExperiment(id),
        "RESOURCE_DOES_NOT_EXIST",
        `"${id}/meta.yaml"`,
      );
      assert.ok(e.message.includes(part), e.message);
      assert.ok(!e.message.includes(c.root), "messages name store-relative paths only");
    }
    await rejectsWith(store.createRun({ experimentId: "333" }), "RESOURCE_DOES_NOT_EXIST");
    assert.equal(await store.getExperimentByName("z"), undefined);
    assert.throws(() => Deno.statSync(join(c.root, "PWNED")));
    assert.throws(() => Deno.statSync("PWNED"));
    assert.deepEqual(snapshot(c.root), before, "no read rewrites anything");
  },
);

fileTest("hand-corrupted runs: skipped in searches, direct gets fail clearly", async (c) => {
  const good = (await c.store.createRun({})).info.runId;
  const moved = (await c.store.createRun({})).info.runId;
  const exp = await c.store.createExperiment("other");
  // A run folder copied into another experiment names the wrong experiment.
  Deno.renameSync(join(c.root, "0", moved), join(c.root, exp, moved));
  const empty = "a".repeat(32), tagged = "b".repeat(32);
  handWrite(c.root, {
    [`0/${empty}/meta.yaml`]: "",
    [`0/${tagged}/meta.yaml`]: "!!python/object/apply:os.system ['touch PWNED']\n",
    "0/notes/x": "stray",
  });
  for (const d of [empty, tagged, "notes"]) age(join(c.root, "0", d));
  const store = c.fresh();
  const found = await store.searchRuns({ experimentIds: ["0", exp], viewType: "ALL" });
  assert.deepEqual(found.items.map((r) => r.info.runId), [good]);
  assert.equal(c.warnings.length, 4, c.warnings.join("\n"));
  // Not a 500, which the Python client would retry for minutes.
  await rejectsWith(store.getRun(moved), "RESOURCE_DOES_NOT_EXIST", `"${exp}/${moved}/meta.yaml"`);
  await rejectsWith(store.getRun(empty), "RESOURCE_DOES_NOT_EXIST", "is empty");
  await rejectsWith(store.getRun(tagged), "RESOURCE_DOES_NOT_EXIST", "YAML");
  await rejectsWith(
    store.logMetric(tagged, { key: "m", value: 1, timestamp: 1, step: 0 }),
    "RESOURCE_DOES_NOT_EXIST",
  );
});

fileTest(
  "metric files: a torn last line is ignored, a bad line skipped with a warning",
  async (c) => {
    const id = (await c.store.createRun({})).info.runId;
    const mdir = join(c.root, "0", id, "metrics");
    Deno.writeTextFileSync(join(mdir, "torn"), "1 0.5 0\n2 0.7 1\n3 0.9");
    Deno.writeTextFileSync(join(mdir, "empty"), "");
    const run = await c.store.getRun(id);
    assert.deepEqual(run.data.metrics.map((m) => [m.key, m.value]), [["torn", 0.7]]);
    assert.equal((await c.store.getMetricHistory(id, "torn")).items.length, 2);
    // The torn line completes: the cache reads only the appended bytes and sees it.
    Deno.writeTextFileSync(join(mdir, "torn"), " 2\n", { append: true });
    assert.equal((await c.store.getRun(id)).data.metrics.find((m) => m.key === "torn")?.value, 0.9);
    for (const [name, text] of [["four", "1 2 3 4\n"], ["word", "1 abc 0\n"]]) {
      Deno.writeTextFileSync(join(mdir, name), `5 1.5 0\n${text}6 2.5 1\n${text}`);
      const before = c.warnings.length;
      const got = (await c.store.getRun(id)).data.metrics.find((m) => m.key === name);
      assert.deepEqual([got?.value, got?.step], [2.5, 1]);
      const all = (await c.store.getMetricHistory(id, name)).items.map((m) => m.value);
      assert.deepEqual(all, [1.5, 2.5]);
      const pages = [];
      let pageToken: string | undefined;
      do {
        const p = await c.store.getMetricHistory(id, name, { maxResults: 1, pageToken });
        pages.push(...p.items.map((m) => m.value));
        pageToken = p.nextPageToken;
      } while (pageToken);
      assert.deepEqual(pages, [1.5, 2.5], "pages skip the bad lines too");
      const mine = c.warnings.slice(before);
      assert.equal(mine.length, 1, mine.join("\n"));
      assert.ok(mine[0].includes(`"0/${id}/metrics/${name}"`), mine[0]);
      Deno.removeSync(join(mdir, name));
    }
  },
);

fileTest("symlinks out of the root are never followed", async (c) => {
  const outside = join(c.dir, "outside");
  await c.store.createExperiment("inside");
  const secret = new FileStore(outside, { clock: fakeClock(), warn: () => {} });
  const sid = await secret.createExperiment("secret");
  const srun = (await secret.createRun({ experimentId: sid })).info.runId;
  await secret.logParam(srun, { key: "pw", value: "hunter2" });
  Deno.symlinkSync(join(outside, sid), join(c.root, sid));
  Deno.symlinkSync(join(outside, sid, srun), join(c.root, "0", srun));
  const id = (await c.store.createRun({})).info.runId;
  Deno.symlinkSync(join(outside, sid, srun, "params", "pw"), join(c.root, "0", id, "params", "pw"));
  const names = (await c.store.searchExperiments({ viewType: "ALL" })).items.map((e) => e.name);
  assert.ok(!names.includes("secret"), names.join());
  await rejectsWith(c.store.getExperiment(sid), "RESOURCE_DOES_NOT_EXIST");
  await rejectsWith(c.store.getRun(srun), "RESOURCE_DOES_NOT_EXIST");
  assert.equal((await c.store.searchRuns({ experimentIds: ["0"] })).items.length, 1);
  assert.deepEqual((await c.store.getRun(id)).data.params, []);
  assert.ok(c.warnings.some((w) => w.includes("symlink")), c.warnings.join("\n"));
});

fileTest("invalid keys never reach the file system", async (c) => {
  const id = (await c.store.createRun({})).info.runId;
  const before = snapshot(c.dir);
  for (const key of ["../x", "../../escape", "/abs", "a\\b", "a\0b", "a//b"]) {
    await rejectsWith(c.store.logParam(id, { key, value: "v" }), "INVALID_PARAMETER_VALUE");
    await rejectsWith(c.store.setTag(id, { key, value: "v" }), "INVALID_PARAMETER_VALUE");
    await rejectsWith(
      c.store.logMetric(id, { key, value: 1, timestamp: 1, step: 0 }),
      "INVALID_PARAMETER_VALUE",
    );
  }
  const found = await c.store.searchRuns({
    experimentIds: ["0"],
    filter: "params.`../../x` = 'v'",
  });
  assert.deepEqual(found.items, []);
  assert.deepEqual(snapshot(c.dir), before);
});

fileTest("a key that collides with a nested key is a client error", async (c) => {
  const id = (await c.store.createRun({})).info.runId;
  await c.store.logParam(id, { key: "a/b", value: "1" });
  await rejectsWith(c.store.logParam(id, { key: "a", value: "1" }), "INVALID_PARAMETER_VALUE");
  await c.store.setTag(id, { key: "t", value: "1" });
  await rejectsWith(c.store.setTag(id, { key: "t/x", value: "1" }), "INVALID_PARAMETER_VALUE");
});

fileTest("the cache sees writes made by another store instance (another process)", async (c) => {
  const id = (await c.store.createRun({})).info.runId;
  await c.store.logMetric(id, { key: "m", value: 1, timestamp: 1, step: 0 });
  const other = c.fresh();
  const search = async (filter: string) =>
    (await c.store.searchRuns({ experimentIds: ["0"], filter })).items.length;
  assert.equal(await search("metrics.m = 1"), 1);
  await other.logMetric(id, { key: "m", value: 2, timestamp: 2, step: 1 });
  assert.equal(await search("metrics.m = 2"), 1);
  await other.setTag(id, { key: "t", value: "a" });
  assert.equal(await search("tags.t = 'a'"), 1);
  await other.setTag(id, { key: "t", value: "b" });
  assert.equal(await search("tags.t = 'b'"), 1);
  await other.updateRun({ runId: id, status: "FINISHED" });
  assert.equal(await search("attributes.status = 'FINISHED'"), 1);
  const r2 = (await other.createRun({})).info.runId;
  assert.equal((await c.store.searchRuns({ experimentIds: ["0"] })).items.length, 2);
  await other.deleteRun(r2);
  assert.equal((await c.store.searchRuns({ experimentIds: ["0"] })).items.length, 1);
  const e = await other.createExperiment("new");
  assert.equal((await c.store.getExperimentByName("new"))?.experimentId, e);
  await other.renameExperiment(e, "newer");
  assert.equal((await c.store.getExperiment(e)).name, "newer");
});

fileTest("searches by start_time read only their pages and still see other writers", async (c) => {
  const other = c.fresh();
  const ids: string[] = [];
  for (let i = 0; i < 30; i++) {
    const run = await c.store.createRun({ startTime: 1000 + (i % 10) * 10, runName: `r${i}` });
    ids.push(run.info.runId);
    await c.store.logParam(run.info.runId, { key: "p", value: String(i) });
  }
  // The same searches through the scan that reads every run (a status filter forces it).
  const check = async (orderBy: string[], view?: "ALL" | "DELETED_ONLY", filter?: string) => {
    const walk = async (filter?: string) => {
      const out: string[] = [];
      let pageToken: string | undefined;
      do {
        const page = await c.store.searchRuns({
          experimentIds: ["0"],
          filter,
          orderBy,
          viewType: view,
          maxResults: 7,
          pageToken,
        });
        out.push(...page.items.map((r) => r.info.runId));
        pageToken = page.nextPageToken;
      } while (pageToken);
      return out;
    };
    const full = filter
      ? `${filter} and attributes.status != 'NONE'`
      : "attributes.status != 'NONE'";
    assert.deepEqual(await walk(filter), await walk(full), JSON.stringify([orderBy, filter]));
    return await walk(filter);
  };
  for (const order of [[], ["attributes.start_time ASC"], ["attributes.run_id DESC"]]) {
    assert.equal((await check(order)).length, 30);
  }
  assert.equal((await check(["params.p DESC"])).length, 30);
  assert.equal((await check(["params.p"], undefined, "params.p LIKE '1%'")).length, 11);
  assert.equal(
    (await check([], undefined, "params.p != '3' and params.q IS NULL")).length,
    29,
  );
  // A param logged later (by another process) joins the order and the filters at once.
  await other.logParam(ids[5], { key: "q", value: "late" });
  assert.deepEqual(await check(["params.q DESC"], undefined, "params.q = 'late'"), [ids[5]]);
  assert.equal((await check(["params.q DESC"]))[0], ids[5]);
  const first = async () =>
    (await c.store.searchRuns({ experimentIds: ["0"], maxResults: 3 })).items;
  await other.updateRun({ runId: (await first())[0].info.runId, status: "FAILED" });
  assert.equal((await first())[0].info.status, "FAILED");
  const gone = (await first())[0].info.runId;
  await other.deleteRun(gone);
  assert.ok(!(await first()).some((r) => r.info.runId === gone));
  assert.deepEqual(await check([], "DELETED_ONLY"), [gone]);
  const late = (await other.createRun({ startTime: 5000 })).info.runId;
  assert.equal((await first())[0].info.runId, late);
  // No MLflow call moves a start_time; an edit in place is seen once the folder's runs change.
  const meta = join(c.root, "0", ids[0], "meta.yaml");
  Deno.writeTextFileSync(meta, read(meta).replace(/start_time: \d+/, "start_time: 9000"));
  await other.createRun({ startTime: 1 });
  await check([]);
  assert.equal((await first())[0].info.runId, ids[0]);
  await c.store.hardDeleteRun(ids[0]);
  assert.equal((await check([])).length, 30);
});

fileTest("metric history pages continue where the last one ended and see appends", async (c) => {
  const id = (await c.store.createRun({})).info.runId;
  const points = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      key: "m",
      value: (from + i) / 3,
      timestamp: from + i,
      step: from + i,
    }));
  await c.store.logBatch(id, { metrics: points(0, 50) });
  const walk = async (size: number) => {
    const out: number[] = [];
    let pageToken: string | undefined;
    do {
      const page = await c.store.getMetricHistory(id, "m", { maxResults: size, pageToken });
      assert.ok(page.items.length <= size);
      out.push(...page.items.map((p) => p.step));
      pageToken = page.nextPageToken;
    } while (pageToken);
    return out;
  };
  const all = (await c.store.getMetricHistory(id, "m")).items.map((p) => p.step);
  assert.equal(all.length, 50);
  for (const size of [1, 7, 50, 51]) assert.deepEqual(await walk(size), all);
  const p1 = await c.store.getMetricHistory(id, "m", { maxResults: 20 });
  // Another process appends (with a blank line, which holds no point) between two pages.
  const file = join(c.root, "0", id, "metrics", "m");
  Deno.writeTextFileSync(file, "\n", { append: true });
  await c.fresh().logBatch(id, { metrics: points(50, 5) });
  const rest = [];
  for (let t = p1.nextPageToken; t;) {
    const page = await c.store.getMetricHistory(id, "m", { maxResults: 20, pageToken: t });
    rest.push(...page.items.map((p) => p.step));
    t = page.nextPageToken;
  }
  assert.deepEqual([...p1.items.map((p) => p.step), ...rest], [...all, 50, 51, 52, 53, 54]);
  // A rewrite (new inode, fewer lines) forgets the old byte offsets.
  Deno.writeTextFileSync(file + ".new", "1 0.5 0\n2 0.5 1\n");
  Deno.renameSync(file + ".new", file);
  assert.deepEqual(await walk(1), [0, 1]);
  const skip = await c.store.getMetricHistory(id, "m", {
    maxResults: 1,
    pageToken: btoa('{"offset": 1}'),
  });
  assert.deepEqual(skip.items.map((p) => p.timestamp), [2]);
});

fileTest("openStore() maps URIs to stores", async (c) => {
  const cases = [c.root, `file://${c.root}`, `file://${encodeURI(c.root)}`];
  for (const uri of cases) {
    const s = openStore(uri);
    assert.ok(s instanceof FileStore, uri);
    assert.equal((s as FileStore).root, c.root, uri);
  }
  assert.ok((openStore(undefined) as FileStore).root.endsWith("/mlruns"));
  assert.ok((openStore("") as FileStore).root.endsWith("/mlruns"));
  assert.equal((openStore("file:rel/dir") as FileStore).root, join(Deno.cwd(), "rel/dir"));
  // sqlite: URIs open the SQLite store (tests/sqlite_store_test.ts).
  for (const uri of ["s3://bucket/x", "file://otherhost/x"]) {
    assert.throws(() => openStore(uri), (e: unknown) => e instanceof MltError, uri);
  }
  await Promise.resolve();
});

// ---- several processes ----

fileTest("8 processes x 1000 logMetric into one run keep all 8000 points", async (c) => {
  const id = (await c.store.createRun({})).info.runId;
  const results = await storeWorkers(8, () => ["metrics", c.root, id, "1000"]);
  assert.ok(results.every((r) => r.ok), JSON.stringify(results));
  const text = read(join(c.root, "0", id, "metrics", "m"));
  const lines = text.split("\n");
  assert.equal(lines.pop(), "");
  assert.equal(lines.length, 8000);
  assert.ok(lines.every((l) => /^\d+ \d+\.0 \d+$/.test(l)), "every line whole");
  assert.equal((await c.store.getMetricHistory(id, "m")).items.length, 8000);
});

fileTest(
  "8 processes creating one experiment name: one wins, seven get ALREADY_EXISTS",
  async (c) => {
    const results = await storeWorkers(8, () => ["create", c.root, "race"]);
    assert.equal(results.filter((r) => r.ok).length, 1, JSON.stringify(results));
    assert.deepEqual(
      results.filter((r) => !r.ok).map((r) => r.code),
      Array(7).fill("RESOURCE_ALREADY_EXISTS"),
    );
    const folders = [...Deno.readDirSync(c.root)].filter((e) =>
      e.isDirectory && e.name !== ".trash"
    );
    assert.equal(folders.length, 2, folders.map((f) => f.name).join()); // "0" and the winner
    const page = await c.store.searchExperiments({ filter: "name = 'race'" });
    assert.deepEqual(page.items.map((e) => e.experimentId), [results.find((r) => r.ok)!.id]);
  },
);

fileTest("8 processes logging one param with different values: exactly one succeeds", async (c) => {
  const id = (await c.store.createRun({})).info.runId;
  const results = await storeWorkers(8, (i) => ["param", c.root, id, `v${i}`]);
  const ok = results.filter((r) => r.ok);
  assert.equal(ok.length, 1, JSON.stringify(results));
  assert.ok(results.filter((r) => !r.ok).every((r) => r.code === "INVALID_PARAMETER_VALUE"));
  assert.equal(read(join(c.root, "0", id, "params", "p")), ok[0].value);
});

fileTest("kill -9 during 1000 status changes leaves every meta.yaml whole", async (c) => {
  // security.md §5.6 test 51: every rewrite goes through a temp file and a rename.
  const id = (await c.store.createRun({})).info.runId;
  const runMeta = join(c.root, "0", id, "meta.yaml");
  const expMeta = join(c.root, "0", "meta.yaml");
  const expBefore = read(expMeta);
  let progress = 0;
  for (let round = 0; round < 6; round++) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", STORE_WORKER, "status", c.root, id, "1000"],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const out = await readUntil(reader, "started");
    assert.ok(out.includes("started"), "the writer started its loop");
    // A different point of the loop each round: 0 to ~60 ms into about a thousand rewrites.
    await new Promise((r) => setTimeout(r, round * 12));
    // On a loaded machine 60 ms may pass before the first rewrite: the last round waits for one.
    for (let i = 0; round === 5 && progress <= 2000 && i < 1000; i++) {
      if (/^end_time: [0-9]/m.test(read(runMeta))) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill("SIGKILL");
    assert.equal((await child.status).signal, "SIGKILL", "killed mid-loop, not finished");
    await reader.cancel();
    const text = read(runMeta);
    assert.ok(text.length > 0 && text.endsWith("\n"), `round ${round}: ${JSON.stringify(text)}`);
    // A fresh store (no cache) parses it: the old or the new version of the run.
    const run = await new FileStore(c.root, { warn: () => {} }).getRun(id);
    assert.ok(["RUNNING", "FINISHED"].includes(run.info.status), run.info.status);
    progress = Math.max(progress, run.info.endTime ?? 0);
    assert.equal(read(expMeta), expBefore, "the experiment's meta.yaml untouched");
  }
  // The writer got through some of its rewrites before a kill (end times are 2000 + i).
  assert.ok(progress > 2000, `no rewrite happened before the kills (${progress})`);
});

fileTest("rewrites keep meta.yaml keys written by newer MLflow versions", async (c) => {
  handWrite(c.root, {
    "7/meta.yaml": "artifact_location: file:///a/7\ncreation_time: 1\n" +
      "effective_trace_archival_retention: null\nexperiment_id: '7'\nlast_update_time: 2\n" +
      "lifecycle_stage: active\nname: seven\ntags: {}\ntrace_location: null\nworkspace: default\n",
    [`7/${RID}/meta.yaml`]: `artifact_uri: /a\nend_time: null\nexperiment_id: '7'\n` +
      `lifecycle_stage: active\nrun_id: ${RID}\nstart_time: 1\nstatus: 1\nfuture_key: 42\n` +
      "user_id: u\n",
  });
  Deno.mkdirSync(join(c.root, ".trash"));
  await c.store.renameExperiment("7", "eight");
  assert.equal(
    read(join(c.root, "7", "meta.yaml")),
    `artifact_location: file:///a/7\ncreation_time: 1\neffective_trace_archival_retention: null\n` +
      `experiment_id: '7'\nlast_update_time: ${T0}\nlifecycle_stage: active\nname: eight\n` +
      "tags: {}\ntrace_location: null\nworkspace: default\n",
  );
  await c.store.updateRun({ runId: RID, status: "KILLED" });
  const meta = read(join(c.root, "7", RID, "meta.yaml"));
  assert.ok(meta.includes("future_key: 42\n") && meta.includes("status: 5\n"), meta);
});
