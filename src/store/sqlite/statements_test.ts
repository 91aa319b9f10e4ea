/** The statement cache keeps at most its bound, dropping the oldest statement first. */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { MAX_STATEMENTS, Statements } from "./statements.ts";

Deno.test("statements: cached by SQL text, bounded, oldest dropped first", () => {
  const db = new DatabaseSync(":memory:");
  try {
    const s = new Statements(db, 3);
    const a = s.get("SELECT 1");
    assert.equal(s.get("SELECT 1"), a, "a cached statement is reused");
    const b = s.get("SELECT 2");
    s.get("SELECT 3");
    s.get("SELECT 4"); // full: drops SELECT 1, the oldest
    assert.equal(s.size, 3);
    assert.equal(s.get("SELECT 2"), b, "the others stayed");
    assert.notEqual(s.get("SELECT 1"), a, "the oldest was dropped and is prepared again");
    assert.equal(s.size, 3);
    assert.deepEqual(s.arrays("SELECT 5 AS x"), [[5]]);
    assert.equal(s.size, 3, "array statements count against the same bound");
    assert.equal(s.one<{ x: number }>("SELECT 2 AS x")?.x, 2, "a dropped statement still runs");
  } finally {
    db.close();
  }
});

Deno.test("statements: a thousand distinct search texts keep the cache at its bound", () => {
  const db = new DatabaseSync(":memory:");
  try {
    const s = new Statements(db);
    for (let i = 0; i < 2 * MAX_STATEMENTS; i++) {
      assert.equal(s.one<{ v: number }>(`SELECT ${i} AS v`)?.v, i);
    }
    assert.equal(s.size, MAX_STATEMENTS);
  } finally {
    db.close();
  }
});
