/** runsByIds(): whole runs in bulk, each row joined to the right run, in the order asked. */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import type { Run } from "../../model.ts";
import { SqliteStore } from "./sqlite_store.ts";
import { Statements } from "./statements.ts";
import { runsByIds } from "./sqlite_reader.ts";

const T0 = 1732000000000;

// Runs with distinct data each (metrics, params, tags, datasets; one deleted), written through
// the store, then read back over a second connection.
async function withRuns(fn: (s: Statements, ids: string[]) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mlt-sqlite-reader-" });
  const path = join(dir, "mlflow.db");
  let t = T0;
  const store = new SqliteStore(`sqlite:///${path}`, {
    clock: () => t++,
    warn: () => {},
    artifactRoot: join(dir, "artifacts"),
  });
  const db = new DatabaseSync(path);
  try {
    const exp = await store.createExperiment("reader");
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const run = await store.createRun({ experimentId: exp, runName: `r${i}`, tags: [] });
      const id = run.info.runId;
      ids.push(id);
      await store.logBatch(id, {
        metrics: [
          {
            key: "z",
            value: i === 1 ? NaN : i === 2 ? -Infinity : i / 7,
            timestamp: T0 + i,
            step: i,
          },
          ...(i % 2 ? [{ key: "a", value: Infinity, timestamp: T0, step: 2 ** 60 }] : []),
        ],
        params: ["p", "B", "a b", `only-${i}`].slice(0, 1 + (i % 4)).map((key) => ({
          key,
          value: `${key}=${i}`,
        })),
        tags: [{ key: "t", value: "" }, { key: "k:", value: `v${i}` }],
      });
      if (i % 3 === 0) {
        await store.logInputs(id, [
          { tags: [{ key: "mlflow.data.context", value: `c${i}` }], dataset: ds("shared") },
          { tags: [], dataset: { ...ds(`own-${i}`), schema: "{}", profile: `p${i}` } },
        ]);
      }
    }
    await store.deleteRun(ids[4]);
    // Keys the REST API refuses but other writers store, whose SQLite (UTF-8 byte) order is not
    // the UTF-16 order of JS strings.
    const param = db.prepare("INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)");
    for (const key of ["\u{1F600}", "\uFFFD", "\n"]) param.run(key, key, ids[3]);
    db.prepare("DELETE FROM tags WHERE run_uuid = ?").run(ids[3]);
    await fn(new Statements(db), ids);
  } finally {
    db.close();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function ds(name: string) {
  return { name, digest: `d-${name}`, sourceType: "local", source: `{"uri":"${name}"}` };
}

Deno.test("runsByIds() reads each run as runsByIds([id]) does, in the order of the ids", async () => {
  await withRuns((s, ids) => {
    const one = (id: string): Run => runsByIds(s, [id])[0];
    const shuffled = [ids[3], ids[0], ids[5], ids[1], ids[4], ids[2]];
    assert.deepEqual(runsByIds(s, shuffled), shuffled.map(one));
    // Unknown ids are skipped; repeated ids repeat the run.
    const asked = [ids[2], "0".repeat(32), ids[2], ids[0], ids[2]];
    assert.deepEqual(runsByIds(s, asked), [ids[2], ids[2], ids[0], ids[2]].map(one));
    assert.deepEqual(runsByIds(s, []), []);
    assert.deepEqual(runsByIds(s, ["nope"]), []);
    return Promise.resolve();
  });
});

Deno.test("runsByIds() fills every part of a run, sorted by key as SQLite sorts", async () => {
  await withRuns((s, ids) => {
    const runs = runsByIds(s, ids);
    assert.deepEqual(runs.map((r) => r.info.runName), ["r0", "r1", "r2", "r3", "r4", "r5"]);
    const [r0, r1, r2, r3, r4] = runs;
    assert.deepEqual(r1.data.metrics.map((m) => [m.key, m.value, m.step]), [
      ["a", Infinity, 2 ** 60],
      ["z", NaN, 1],
    ]);
    assert.equal(r2.data.metrics[0].value, -Infinity);
    assert.deepEqual(r3.data.params.map((p) => p.key), [
      "\n",
      "B",
      "a b",
      "only-3",
      "p",
      "\uFFFD",
      "\u{1F600}",
    ]);
    assert.deepEqual(r3.data.tags, []);
    assert.deepEqual(r0.data.tags, [
      { key: "k:", value: "v0" },
      { key: "mlflow.runName", value: "r0" },
      { key: "t", value: "" },
    ]);
    assert.equal(r4.info.lifecycleStage, "deleted");
    assert.equal(typeof r4.info.deletedTime, "number");
    assert.deepEqual(
      runs.map((r) => r.inputs.datasetInputs.map((d) => d.dataset.name)),
      [["shared", "own-0"], [], [], ["shared", "own-3"], [], []],
    );
    assert.deepEqual(r0.inputs.datasetInputs[0].tags, [{
      key: "mlflow.data.context",
      value: "c0",
    }]);
    assert.deepEqual(r3.inputs.datasetInputs[1].dataset, {
      ...ds("own-3"),
      schema: "{}",
      profile: "p3",
    });
    return Promise.resolve();
  });
});
