/** Prepared statements of one node:sqlite connection, cached by SQL text, with typed helpers. */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { SqlValue } from "./sql.ts";

/** A connection's prepared statements, cached by their SQL text. */
export class Statements {
  #cache = new Map<string, StatementSync>();
  constructor(readonly db: DatabaseSync) {}

  /** The prepared statement of `sql`. */
  get(sql: string): StatementSync {
    let st = this.#cache.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.#cache.set(sql, st);
    }
    return st;
  }

  /** All rows of `sql` as arrays of column values (much cheaper than objects for big reads). */
  arrays(sql: string, ...params: SqlValue[]): unknown[][] {
    const key = `arrays:${sql}`;
    let st = this.#cache.get(key);
    if (!st) {
      st = this.db.prepare(sql);
      // Present in Deno's node:sqlite (measured), missing from its bundled type definitions.
      (st as unknown as { setReturnArrays(on: boolean): void }).setReturnArrays(true);
      this.#cache.set(key, st);
    }
    return st.all(...params) as unknown as unknown[][];
  }

  /** All rows of `sql`. */
  all<T>(sql: string, ...params: SqlValue[]): T[] {
    return this.get(sql).all(...params) as T[];
  }

  /** The first row of `sql`, or undefined. */
  one<T>(sql: string, ...params: SqlValue[]): T | undefined {
    return this.get(sql).get(...params) as T | undefined;
  }

  /** Runs `sql`; returns the number of changed rows. */
  run(sql: string, ...params: SqlValue[]): number {
    return Number(this.get(sql).run(...params).changes);
  }
}
