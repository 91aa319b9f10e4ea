/** Prepared statements of one node:sqlite connection, cached by SQL text, with typed helpers. */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { SqlValue } from "./sql.ts";

/**
 * Most statements a connection keeps prepared. The store's fixed SQL is a few hundred texts at
 * most; searches build theirs from the filter, so a long-lived server would otherwise keep one
 * compiled statement (a few KiB in SQLite, off the JS heap) per filter ever asked.
 */
export const MAX_STATEMENTS = 500;

/**
 * A connection's prepared statements, cached by their SQL text. Past the bound the oldest is
 * dropped (first in, first out): a hit costs one Map lookup, as on the hot path of a log-batch
 * (one per row), and a dropped statement that is still in use is only prepared again.
 */
export class Statements {
  #cache = new Map<string, StatementSync>(); // insertion order = oldest first
  constructor(readonly db: DatabaseSync, readonly maxStatements = MAX_STATEMENTS) {}

  /** How many statements are cached. */
  get size(): number {
    return this.#cache.size;
  }

  /** The prepared statement of `sql`. */
  get(sql: string): StatementSync {
    let st = this.#cache.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.#add(sql, st);
    }
    return st;
  }

  #add(key: string, st: StatementSync): void {
    // Dropped statements are finalized by node:sqlite once collected.
    if (this.#cache.size >= this.maxStatements) {
      this.#cache.delete(this.#cache.keys().next().value!);
    }
    this.#cache.set(key, st);
  }

  /** All rows of `sql` as arrays of column values (much cheaper than objects for big reads). */
  arrays(sql: string, ...params: SqlValue[]): unknown[][] {
    const key = `arrays:${sql}`;
    let st = this.#cache.get(key);
    if (!st) {
      st = this.db.prepare(sql);
      // Present in Deno's node:sqlite (measured), missing from its bundled type definitions.
      (st as unknown as { setReturnArrays(on: boolean): void }).setReturnArrays(true);
      this.#add(key, st);
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
