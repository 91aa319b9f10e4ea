/** Prepared statements of one node:sqlite connection, cached by SQL text, with typed helpers. */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { SqlValue } from "./sql.ts";

/**
 * Most statements a connection keeps prepared. The store's fixed SQL is a few hundred texts at
 * most; searches build theirs from the filter, so a long-lived server would otherwise keep one
 * compiled statement (a few KiB in SQLite, off the JS heap) per filter ever asked.
 */
export const MAX_STATEMENTS = 500;

/** A connection's prepared statements, cached by their SQL text (least recently used dropped). */
export class Statements {
  #cache = new Map<string, StatementSync>(); // insertion order = least recently used first
  constructor(readonly db: DatabaseSync, readonly maxStatements = MAX_STATEMENTS) {}

  /** How many statements are cached. */
  get size(): number {
    return this.#cache.size;
  }

  /** The prepared statement of `sql`. */
  get(sql: string): StatementSync {
    return this.#cached(sql, () => this.db.prepare(sql));
  }

  #cached(key: string, prepare: () => StatementSync): StatementSync {
    let st = this.#cache.get(key);
    if (st) {
      this.#cache.delete(key);
    } else {
      st = prepare();
      // Dropped statements are finalized by node:sqlite once collected.
      if (this.#cache.size >= this.maxStatements) {
        this.#cache.delete(this.#cache.keys().next().value!);
      }
    }
    this.#cache.set(key, st);
    return st;
  }

  /** All rows of `sql` as arrays of column values (much cheaper than objects for big reads). */
  arrays(sql: string, ...params: SqlValue[]): unknown[][] {
    const st = this.#cached(`arrays:${sql}`, () => {
      const st = this.db.prepare(sql);
      // Present in Deno's node:sqlite (measured), missing from its bundled type definitions.
      (st as unknown as { setReturnArrays(on: boolean): void }).setReturnArrays(true);
      return st;
    });
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
