/**
 * The SQLite startup protocol and failure handling on real files: the exact schema, MLflow's
 * revisions (current, older, unknown), foreign and corrupted files (a clear error, not a byte
 * written), a lock held past the busy timeout (503 TEMPORARILY_UNAVAILABLE), and the WAL
 * checkpoints of an idle writer.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { MltError } from "../../errors.ts";
import { SqliteStore } from "./sqlite_store.ts";
import { MLFLOW_DDL, SCHEMA_REVISION } from "./schema.ts";
import { Connections, sqlitePath } from "./connection.ts";
import { IdleCheckpoint } from "./wal.ts";
import { withTempDir } from "../../../tests/helpers/temp.ts";

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

function withDir(fn: (dir: string, path: string) => Promise<void>): Promise<void> {
  return withTempDir("mlt-sqlite-conn-", (dir) => fn(dir, join(dir, "mlflow.db")));
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

// Experiments as the database file alone holds them (a copy without its WAL): what a checkpoint
// has copied into it.
function checkpointedNames(dir: string, path: string): string[] {
  const copy = join(dir, "copy.db");
  for (const p of [copy, `${copy}-wal`, `${copy}-shm`]) {
    try {
      Deno.removeSync(p);
    } catch { /* absent */ }
  }
  Deno.copyFileSync(path, copy);
  return rows(copy, "SELECT name FROM experiments ORDER BY experiment_id").map((r) =>
    String(r.name)
  );
}

function connect(path: string, idleCheckpointMs: number, warnings: string[] = []): Connections {
  return new Connections(path, {
    uri: `sqlite:///${path}`,
    busyTimeoutMs: 2000,
    warn: (m) => warnings.push(m),
    now: () => 1,
    defaultLocation: () => "/artifacts/0",
    idleCheckpointMs,
  });
}

const addExperiment = (c: Connections, name: string) =>
  c.write((w) =>
    w.run(
      "INSERT INTO experiments (name, artifact_location, lifecycle_stage) VALUES (?, '', 'active')",
      name,
    )
  );

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Waits (up to 5 s) until `names` are what the database file alone holds.
async function checkpointed(dir: string, path: string, names: string[]): Promise<void> {
  for (const deadline = Date.now() + 5000; Date.now() < deadline; await sleep(20)) {
    if (checkpointedNames(dir, path).join() === names.join()) return;
  }
  assert.deepEqual(checkpointedNames(dir, path), names);
}

Deno.test("the writer checkpoints the WAL into the database file once it is idle", async () => {
  await withDir(async (dir, path) => {
    await open(path).close(); // the schema, checkpointed by the close
    const c = connect(path, 600);
    try {
      assert.deepEqual(rows(path, "PRAGMA journal_mode"), [{ journal_mode: "wal" }]);
      const before = checkpointedNames(dir, path);
      await addExperiment(c, "a");
      // Small commits stay in the WAL (SQLite's own bound is thousands of pages) …
      assert.deepEqual(checkpointedNames(dir, path), before);
      await sleep(300);
      await addExperiment(c, "b");
      await sleep(300);
      // … each write postpones the idle checkpoint …
      assert.deepEqual(checkpointedNames(dir, path), before);
      // … until the writer has been idle long enough.
      await checkpointed(dir, path, [...before, "a", "b"]);
    } finally {
      c.close();
    }
  });
});

Deno.test("a checkpoint held back by another process's reader never fails a write", async () => {
  await withDir(async (dir, path) => {
    await open(path).close();
    const warnings: string[] = [];
    const c = connect(path, 30, warnings);
    const other = new DatabaseSync(path);
    try {
      const before = checkpointedNames(dir, path);
      await addExperiment(c, "a");
      await checkpointed(dir, path, [...before, "a"]);
      other.exec("BEGIN");
      other.prepare("SELECT count(*) FROM experiments").get(); // holds a snapshot without "b"
      await addExperiment(c, "b");
      await sleep(100); // the idle checkpoint runs, but cannot copy what the snapshot predates
      await addExperiment(c, "c");
      assert.deepEqual(checkpointedNames(dir, path), [...before, "a"]);
      other.exec("COMMIT");
      await addExperiment(c, "d");
      await checkpointed(dir, path, [...before, "a", "b", "c", "d"]);
      assert.deepEqual(warnings, []);
    } finally {
      if (other.isTransaction) other.exec("ROLLBACK");
      other.close();
      c.close();
    }
  });
});

Deno.test("a failing idle checkpoint is warned about once and never fails a write", async () => {
  const warnings: string[] = [];
  let calls = 0, writing = false;
  const idle = new IdleCheckpoint(
    () => {
      calls++;
      throw Object.assign(new Error("disk I/O error"), { errcode: 10 });
    },
    () => writing,
    10,
    (m) => warnings.push(m),
    "x.db",
  );
  const until = async (ok: () => boolean) => {
    for (const deadline = Date.now() + 5000; !ok() && Date.now() < deadline;) await sleep(5);
  };
  try {
    idle.wrote();
    await until(() => calls === 1);
    assert.equal(calls, 1);
    writing = true; // a group is being written: the checkpoint waits for it
    idle.wrote();
    await sleep(50);
    assert.equal(calls, 1);
    writing = false;
    await until(() => calls === 2);
    assert.equal(calls, 2);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /Could not checkpoint the WAL of "x\.db" \(writes go on\)/);
    idle.wrote();
    idle.stop(); // closing cancels a pending checkpoint
    await sleep(50);
    assert.equal(calls, 2);
  } finally {
    idle.stop();
  }
});

Deno.test("in-memory and rollback-journal databases write without idle checkpoints", async () => {
  await withDir(async (_, path) => {
    const mem = connect(":memory:", 10);
    try {
      await addExperiment(mem, "a");
      await sleep(40);
      assert.equal(mem.read((r) => r.all("SELECT name FROM experiments").length), 2);
    } finally {
      mem.close();
    }
    await open(path).close();
    exec(path, "PRAGMA journal_mode = DELETE");
    const other = new DatabaseSync(path);
    other.exec("BEGIN");
    other.prepare("SELECT count(*) FROM experiments").get(); // keeps it in rollback-journal mode
    const warnings: string[] = [];
    const c = connect(path, 10, warnings);
    try {
      other.exec("COMMIT");
      await addExperiment(c, "b");
      await sleep(40);
      assert.equal(warnings.length, 1); // only "Could not switch … to WAL mode"
      assert.deepEqual(rows(path, "PRAGMA journal_mode"), [{ journal_mode: "delete" }]);
    } finally {
      if (other.isTransaction) other.exec("ROLLBACK");
      other.close();
      c.close();
    }
  });
});

Deno.test("a WAL past its bound is restarted after a commit; a busy restart is tried again", () => {
  const warnings: string[] = [];
  let big = false, restarts = 0, busy = true;
  const idle = new IdleCheckpoint(
    () => {},
    () => false,
    60_000,
    (m) => warnings.push(m),
    "x.db",
    () => big,
    () => {
      restarts++;
      if (busy) throw Object.assign(new Error("database is locked"), { errcode: 5 });
      big = false;
    },
  );
  try {
    idle.wrote();
    assert.equal(restarts, 0, "no restart while the WAL is within its bound");
    big = true;
    idle.wrote(); // another process holds the file: busy, no warning, writes go on
    assert.equal(restarts, 1);
    busy = false;
    idle.wrote();
    assert.equal(restarts, 2);
    idle.wrote();
    assert.equal(restarts, 2, "the WAL was cut back: no more restarts");
    assert.deepEqual(warnings, []);
  } finally {
    idle.stop();
  }
});
