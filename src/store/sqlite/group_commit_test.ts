/**
 * Group commit on a real SQLite file: requests issued in the same event-loop turn share one
 * transaction; a failing request is refused and undoes only its own rows, the others of its group
 * commit (run again after the rollback, each in its own savepoint).
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { Statements } from "./connection.ts";
import { isBusy } from "./sqlite_errors.ts";
import { GroupCommit } from "./group_commit.ts";

async function withGroup(
  fn: (g: GroupCommit, ctx: { commits: () => number; rows: () => string[] }) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mlt-group-commit-" });
  const db = new DatabaseSync(join(dir, "g.db"));
  try {
    db.exec("PRAGMA journal_mode = WAL; CREATE TABLE t (v TEXT NOT NULL UNIQUE)");
    let commits = 0;
    const g = new GroupCommit(new Statements(db), 1000, isBusy, (e) => e, () => commits++);
    const rows = () => db.prepare("SELECT v FROM t ORDER BY rowid").all().map((r) => String(r.v));
    await fn(g, { commits: () => commits, rows });
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const insert = (v: string) => (w: Statements) => w.run("INSERT INTO t (v) VALUES (?)", v);

Deno.test("writes issued at different depths of one event-loop turn commit together", async () => {
  await withGroup(async (g, { commits, rows }) => {
    // As HTTP handlers do: each reaches its write after its own chain of awaits.
    const after = async (hops: number, v: string) => {
      for (let i = 0; i < hops; i++) await Promise.resolve();
      return g.write(insert(v));
    };
    await Promise.all([after(0, "a"), after(5, "b"), after(50, "c")]);
    assert.equal(commits(), 1);
    assert.deepEqual(rows(), ["a", "b", "c"]);
    await g.write(insert("d"));
    assert.equal(commits(), 2);
  });
});

Deno.test("a failing write undoes only its own rows; the rest of its group commits", async () => {
  await withGroup(async (g, { commits, rows }) => {
    const runs = new Map<string, number>();
    const op = (v: string, fail = false) => (w: Statements) => {
      runs.set(v, (runs.get(v) ?? 0) + 1);
      insert(v)(w);
      if (fail) throw new Error(`${v} failed`);
      return v;
    };
    const results = await Promise.allSettled([
      g.write(op("a")),
      g.write(op("x", true)), // fails in the group's first run: all is rolled back
      g.write(op("b")),
      g.write(op("y", true)), // fails again in the isolated run: only its savepoint is undone
      g.write(insert("a")), // a constraint failure, also in the isolated run
      g.write(op("c")),
    ]);
    assert.deepEqual(results.map((r) => r.status === "fulfilled" ? r.value : r.reason.message), [
      "a",
      "x failed",
      "b",
      "y failed",
      "UNIQUE constraint failed: t.v",
      "c",
    ]);
    assert.deepEqual(rows(), ["a", "b", "c"]);
    assert.equal(commits(), 1);
    // Requests run before the failure ran twice (their first run was rolled back), the others once.
    assert.deepEqual(Object.fromEntries(runs), { a: 2, x: 1, b: 1, y: 1, c: 1 });

    // The next group takes the fast path again.
    runs.clear();
    const next = await Promise.allSettled([g.write(op("d")), g.write(op("e"))]);
    assert.deepEqual(next.map((r) => r.status), ["fulfilled", "fulfilled"]);
    assert.deepEqual(Object.fromEntries(runs), { d: 1, e: 1 });
    assert.equal(commits(), 2);
  });
});

Deno.test("a group whose every write fails commits nothing", async () => {
  await withGroup(async (g, { commits, rows }) => {
    const fail = (w: Statements) => {
      insert("z")(w);
      throw new Error("no");
    };
    const single = await Promise.allSettled([g.write(fail)]);
    assert.equal(single[0].status, "rejected");
    const both = await Promise.allSettled([g.write(fail), g.write(fail)]);
    assert.deepEqual(both.map((r) => r.status), ["rejected", "rejected"]);
    assert.deepEqual(rows(), []);
    assert.equal(commits(), 0);
    assert.equal(await g.write(insert("ok")), 1);
    assert.deepEqual(rows(), ["ok"]);
  });
});
