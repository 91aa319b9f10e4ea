/**
 * The SQLite startup protocol and failure handling on real files: the exact schema, MLflow's
 * revisions (current, older, unknown), foreign and corrupted files (a clear error, not a byte
 * written), and a lock held past the busy timeout (503 TEMPORARILY_UNAVAILABLE).
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { MltError } from "../../errors.ts";
import { SqliteStore } from "./sqlite_store.ts";
import { MLFLOW_DDL, SCHEMA_REVISION } from "./schema.ts";
import { sqlitePath } from "./connection.ts";

type Rows = Record<string, unknown>[];

function rows(path: string, sql: string): Rows {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db.prepare(sql).all().map((r) => ({ ...r }));
  } finally {
    db.close();
  }
}

function exec(path: string, sql: string): void {
  const db = new DatabaseSync(path);
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

async function withDir(fn: (dir: string, path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mlt-sqlite-conn-" });
  try {
    await fn(dir, join(dir, "mlflow.db"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function open(path: string, warnings: string[] = [], busyTimeoutMs = 20000): SqliteStore {
  return new SqliteStore(`sqlite:///${path}`, {
    warn: (m) => warnings.push(m),
    busyTimeoutMs,
    artifactRoot: "/artifacts",
  });
}

function opening(path: string, warnings: string[] = []): MltError {
  try {
    open(path, warnings).close();
  } catch (e) {
    assert.ok(e instanceof MltError, String(e));
    return e;
  }
  assert.fail("the store opened");
}

async function rejected(p: Promise<unknown>): Promise<MltError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MltError, String(e));
    return e;
  }
  assert.fail("the call succeeded");
}

const MASTER = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid";

Deno.test("sqlitePath() reads MLflow's sqlite URI forms", () => {
  const table: [string, string][] = [
    ["sqlite:///mlflow.db", "mlflow.db"],
    ["sqlite:///sub/dir/x.db", "sub/dir/x.db"],
    ["sqlite:////abs/x.db", "/abs/x.db"],
    ["sqlite:////tmp/with%20space.db", "/tmp/with space.db"],
    ["sqlite://", ":memory:"],
    ["sqlite:///:memory:", ":memory:"],
  ];
  for (const [uri, path] of table) assert.equal(sqlitePath(uri), path, uri);
  for (const bad of ["sqlite:x.db", "sqlite://host/x.db", "sqlite:/x.db"]) {
    assert.throws(() => sqlitePath(bad), /Invalid SQLite URI/);
  }
});

Deno.test("a new database has exactly MLflow's schema, revision and seed rows", async () => {
  await withDir(async (_, path) => {
    await open(path).close();
    const ref = new DatabaseSync(":memory:");
    ref.exec(MLFLOW_DDL);
    const expected = ref.prepare(MASTER).all().map((r) => ({ ...r }));
    ref.close();
    assert.deepEqual(rows(path, MASTER), expected);
    assert.deepEqual(rows(path, "SELECT * FROM alembic_version"), [{
      version_num: SCHEMA_REVISION,
    }]);
    assert.deepEqual(rows(path, "SELECT name FROM workspaces"), [{ name: "default" }]);
    assert.deepEqual(rows(path, "SELECT artifact_location FROM experiments"), [
      { artifact_location: "/artifacts/0" },
    ]);
  });
});

Deno.test("an MLflow database at an older revision is refused with 'mlflow db upgrade'", async () => {
  await withDir(async (_, path) => {
    await open(path).close();
    exec(path, "UPDATE alembic_version SET version_num = 'bf29a5ff90ea'");
    const before = Deno.readFileSync(path);
    const e = opening(path);
    assert.equal(e.code, "INVALID_STATE");
    assert.match(e.message, /found revision bf29a5ff90ea/);
    assert.match(e.message, /mlflow db upgrade sqlite:\/\/\//);
    assert.deepEqual(Deno.readFileSync(path), before);
  });
});

Deno.test("an unknown (newer) revision opens read-only with a warning", async () => {
  await withDir(async (_, path) => {
    const s0 = open(path);
    const exp = await s0.createExperiment("kept");
    await s0.close();
    exec(
      path,
      "UPDATE alembic_version SET version_num = 'ffffffffffff'; " +
        "CREATE TABLE future_things (id INTEGER); ALTER TABLE runs ADD COLUMN future_col TEXT;",
    );
    const before = Deno.readFileSync(path);
    const warnings: string[] = [];
    const s = open(path, warnings);
    try {
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /revision ffffffffffff.*read-only/s);
      assert.match(s.readOnlyReason ?? "", /read-only/);
      assert.equal((await s.getExperiment(exp)).name, "kept");
      assert.equal((await s.searchExperiments({})).items.length, 2);
      const e = await rejected(s.createExperiment("new"));
      assert.equal(e.code, "PERMISSION_DENIED");
      assert.equal(e.status, 403); // not retried by clients, unlike a 5xx
    } finally {
      await s.close();
    }
    assert.deepEqual(Deno.readFileSync(path), before);
  });
});

Deno.test("extra tables and columns of newer releases are tolerated at the pinned revision", async () => {
  await withDir(async (_, path) => {
    await open(path).close();
    exec(
      path,
      "CREATE TABLE newer_feature (x TEXT); ALTER TABLE runs ADD COLUMN newer TEXT DEFAULT 'n'; " +
        "ALTER TABLE experiments ADD COLUMN newer INTEGER;",
    );
    const s = open(path);
    try {
      const run = await s.createRun({ runName: "r" });
      assert.equal((await s.getRun(run.info.runId)).info.runName, "r");
      assert.equal((await s.searchRuns({ experimentIds: ["0"] })).items.length, 1);
    } finally {
      await s.close();
    }
  });
});

Deno.test("files that are not MLflow databases are refused and left untouched", async () => {
  await withDir((dir, path) => {
    Deno.writeTextFileSync(path, "name,value\na,1\n".repeat(20));
    let e = opening(path);
    assert.equal(e.code, "INVALID_PARAMETER_VALUE");
    assert.match(e.message, /not an SQLite database/);
    assert.equal(Deno.readTextFileSync(path), "name,value\na,1\n".repeat(20));
    const other = join(dir, "other.db");
    exec(other, "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine')");
    const before = Deno.readFileSync(other);
    e = opening(other);
    assert.match(e.message, /not an MLflow database/);
    assert.deepEqual(Deno.readFileSync(other), before);
    assert.deepEqual(rows(other, "SELECT name FROM sqlite_master"), [{ name: "notes" }]);
    return Promise.resolve();
  });
});

// Overwrites a table's root page with garbage, as a disk error would.
function corruptTable(path: string, table: string): void {
  const [{ rootpage }] = rows(path, `SELECT rootpage FROM sqlite_master WHERE name = '${table}'`);
  const [{ page_size }] = rows(path, "PRAGMA page_size");
  const f = Deno.openSync(path, { write: true });
  try {
    f.seekSync((Number(rootpage) - 1) * Number(page_size), Deno.SeekMode.Start);
    f.writeSync(new Uint8Array(Number(page_size)).fill(0x5a));
  } finally {
    f.close();
  }
}

Deno.test("a corrupted page gives a clear error and nothing is written", async () => {
  await withDir(async (_, path) => {
    const s0 = open(path);
    const run = await s0.createRun({ runName: "r" });
    await s0.logParam(run.info.runId, { key: "p", value: "1" });
    await s0.close();
    corruptTable(path, "params");
    const before = Deno.readFileSync(path);
    const s = open(path);
    try {
      let e = await rejected(s.getRun(run.info.runId));
      assert.equal(e.code, "DATA_LOSS");
      assert.match(e.message, /is corrupted \(database disk image is malformed\)/);
      e = await rejected(
        s.logBatch(run.info.runId, {
          metrics: [{ key: "m", value: 1, timestamp: 1, step: 0 }],
          params: [{ key: "q", value: "2" }],
        }),
      );
      assert.equal(e.code, "DATA_LOSS");
    } finally {
      await s.close();
    }
    assert.deepEqual(Deno.readFileSync(path), before);
    corruptTable(path, "alembic_version");
    assert.equal(opening(path).code, "DATA_LOSS");
  });
});

Deno.test("a lock held past the busy timeout is a 503; a shorter one is waited for", async () => {
  await withDir(async (_, path) => {
    const s = open(path, [], 300);
    const other = new DatabaseSync(path);
    try {
      const runId = (await s.createRun({})).info.runId;
      other.exec("BEGIN IMMEDIATE");
      const started = Date.now();
      const e = await rejected(s.logMetric(runId, { key: "m", value: 1, timestamp: 1, step: 0 }));
      assert.equal(e.code, "TEMPORARILY_UNAVAILABLE");
      assert.equal(e.status, 503);
      assert.ok(Date.now() - started >= 300);
      // Reads go on while the other writer holds the lock (WAL).
      assert.equal((await s.getRun(runId)).data.metrics.length, 0);
      const waiting = s.logMetric(runId, { key: "m", value: 2, timestamp: 2, step: 0 });
      setTimeout(() => other.exec("COMMIT"), 100);
      await waiting;
      assert.equal((await s.getRun(runId)).data.metrics[0].value, 2);
    } finally {
      if (other.isTransaction) other.exec("ROLLBACK");
      other.close();
      await s.close();
    }
  });
});

Deno.test("a database another process uses in rollback-journal mode is kept in that mode", async () => {
  await withDir(async (_, path) => {
    await open(path).close();
    exec(path, "PRAGMA journal_mode = DELETE");
    const other = new DatabaseSync(path);
    other.exec("BEGIN");
    other.prepare("SELECT count(*) FROM experiments").get(); // holds a shared lock
    const warnings: string[] = [];
    const s = open(path, warnings);
    try {
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /Could not switch .* to WAL mode/);
      assert.equal((await s.getExperiment("0")).name, "Default");
      other.exec("COMMIT");
      assert.equal(await s.createExperiment("still works"), "1");
    } finally {
      if (other.isTransaction) other.exec("ROLLBACK");
      other.close();
      await s.close();
    }
    assert.deepEqual(rows(path, "PRAGMA journal_mode"), [{ journal_mode: "delete" }]);
  });
});
