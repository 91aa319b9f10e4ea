/** chooseDriver(): which filter comparison drives a run search, on MLflow's schema in memory. */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { parseRunFilter } from "../../search/filter.ts";
import { MLFLOW_DDL } from "./schema.ts";
import { Statements } from "./statements.ts";
import type { RunSearch } from "./sql.ts";
import { chooseDriver, DriverChoices } from "./sqlite_search.ts";

// Runs with random ids (as MLflow's uuid4 hex): `acc` = i / n, `lr` one of three, `rare` on 10.
function withRuns(
  perExperiment: Record<number, number>,
  fn: (s: Statements) => void,
): void {
  const db = new DatabaseSync(":memory:");
  try {
    db.exec(MLFLOW_DDL);
    const exp = db.prepare(
      "INSERT INTO experiments (experiment_id, name, lifecycle_stage) VALUES (?, ?, 'active')",
    );
    const run = db.prepare(
      "INSERT INTO runs (run_uuid, experiment_id, lifecycle_stage, status, start_time) " +
        "VALUES (?, ?, 'active', 'RUNNING', 0)",
    );
    const metric = db.prepare(
      "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) " +
        "VALUES (?, ?, 0, 0, 0, ?)",
    );
    const param = db.prepare("INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)");
    db.exec("BEGIN");
    for (const [e, n] of Object.entries(perExperiment)) {
      exp.run(Number(e), `e${e}`);
      for (let i = 0; i < n; i++) {
        const id = crypto.randomUUID().replaceAll("-", "");
        run.run(id, Number(e));
        metric.run("acc", i / n, id);
        param.run("lr", ["0.001", "0.01", "0.1"][i % 3], id);
        if (i < 10) param.run("rare", "x", id);
      }
    }
    db.exec("COMMIT");
    fn(new Statements(db));
  } finally {
    db.close();
  }
}

function search(filter: string, experiment = 1n): RunSearch {
  return {
    experimentIds: [experiment],
    stages: ["active"],
    filter: parseRunFilter(filter),
    order: [],
    limit: 100,
    offset: 0,
  };
}

Deno.test("chooseDriver() walks the most selective key when the searched runs hold most of it", () => {
  withRuns({ 1: 3000 }, (s) => {
    assert.equal(chooseDriver(s, search("metrics.acc > 0.9 and params.lr = '0.01'")), 0);
    assert.equal(chooseDriver(s, search("params.lr = '0.01' and metrics.acc > 0.9")), 1);
    assert.equal(chooseDriver(s, search("params.lr = '0.01' and metrics.acc > 0.2")), 0);
    // A key with fewer rows than the sample is walked first, whatever its test.
    assert.equal(chooseDriver(s, search("metrics.acc > 0.9 and params.rare != 'y'")), 1);
    assert.equal(chooseDriver(s, search("tags.t IS NOT NULL and metrics.acc > 0.9")), 0);
    // Only keyed comparisons that need the key can drive.
    assert.equal(
      chooseDriver(s, search("params.lr IS NULL and attributes.status = 'x'")),
      undefined,
    );
    assert.equal(chooseDriver(s, search("")), undefined);
  });
});

Deno.test("chooseDriver() scans runs for a run id filter or a small share of the key", () => {
  withRuns({ 1: 200, 2: 3000 }, (s) => {
    assert.equal(chooseDriver(s, search("metrics.acc > 0.9", 2n)), 0);
    assert.equal(chooseDriver(s, search("metrics.acc > 0.9", 1n)), undefined);
    // Its 10 rows are all of experiment 1.
    assert.equal(chooseDriver(s, search("metrics.acc > 0.9 and params.rare = 'x'", 1n)), 1);
    assert.equal(
      chooseDriver(s, search("metrics.acc > 0.9 and attributes.run_id IN ('a', 'b')", 2n)),
      undefined,
    );
    assert.equal(chooseDriver(s, search("run_id = 'a' and metrics.acc > 0.9", 2n)), undefined);
  });
});

Deno.test("DriverChoices keeps a choice per search for its time to live, the newest ones first", async () => {
  let now = 0;
  const choices = new DriverChoices(1000, 2, () => now);
  let calls = 0;
  const choose = (driver: number | undefined) => () => {
    calls++;
    return Promise.resolve(driver);
  };
  const a = search("metrics.acc > 0.9 and params.lr = '0.01'");
  assert.equal(await choices.get(a, choose(0)), 0);
  assert.equal(await choices.get(a, choose(1)), 0, "kept");
  assert.equal(calls, 1);
  // Another filter value, experiment or stage is another search.
  assert.equal(await choices.get(search("metrics.acc > 0.5 and params.lr = '0.01'"), choose(1)), 1);
  assert.equal(
    await choices.get(search("metrics.acc > 0.9 and params.lr = '0.01'", 2n), choose(undefined)),
    undefined,
  );
  assert.equal(calls, 3);
  // At most 2 kept: `a`, the oldest, made room.
  assert.equal(await choices.get(a, choose(1)), 1);
  assert.equal(calls, 4);
  // An undefined choice is kept too; after the time to live, the choice is made again.
  const b = search("metrics.acc > 0.9 and params.lr = '0.01'", 2n);
  assert.equal(await choices.get(b, choose(0)), undefined);
  now = 1000;
  assert.equal(await choices.get(b, choose(0)), 0);
  assert.equal(calls, 5);
});

Deno.test("DriverChoices does not keep a long search's choice (bounded memory)", async () => {
  const choices = new DriverChoices();
  let calls = 0;
  const choose = () => {
    calls++;
    return Promise.resolve(0);
  };
  const ids = Array.from({ length: 500 }, (_, i) => `'${"a".repeat(20)}${i}'`).join(", ");
  const long = search(`attributes.run_id IN (${ids}) and metrics.acc > 0.9`);
  assert.equal(await choices.get(long, choose), 0);
  assert.equal(await choices.get(long, choose), 0);
  assert.equal(calls, 2, "sampled each time");
});
