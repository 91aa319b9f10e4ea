/**
 * The SQLite store's one writer: write requests queue up and run together in one BEGIN IMMEDIATE
 * transaction (group commit). A failing request undoes only its own rows. Requests issued while a
 * transaction waits for another process's lock join the next one. The lock is awaited between
 * event-loop turns, never by blocking, up to the busy timeout; then every waiting request fails
 * with TEMPORARILY_UNAVAILABLE (503).
 *
 * Measured on B3 (20 concurrent writers on a 270 MB database, bench/server_micro_bench.ts b3):
 * - A group is flushed in a macrotask (setImmediate), not a microtask: HTTP requests arrive in
 *   separate event-loop callbacks, so a microtask flush committed every request alone (groups of
 *   1 in B3). Deferring to the end of the loop turn lets the requests whose bodies arrived in the
 *   same turn join (groups of ~10 in B3), and costs ~2 µs for a lone request. One commit then
 *   writes the B-tree pages the group shares (e.g. the metrics primary key's leaf of each key)
 *   once instead of once per request, and SQLite checkpoints less often.
 * - The ops of a group run without savepoints: a savepoint copies every page an op first touches
 *   into the statement sub-journal (a temp file once it passes 64 KB), which doubled the bytes
 *   written and cost a quarter of the CPU time per request. Failures are rare, so when an op
 *   throws, the whole transaction is rolled back, that op is refused, and the others run again in
 *   the next transaction, each inside its own savepoint (so a second failure undoes only its own
 *   rows). Ops therefore may run more than once and must have no effects outside the database.
 */
import type { Statements } from "./connection.ts";

// node:timers loads with the first write, not at start: a Node module costs every start ~5–10 ms
// of CPU (docs/startup.md). A 0 ms setTimeout is no substitute: Deno's runs it 1 ms or more later.
let setImmediate: typeof import("node:timers").setImmediate | undefined;

interface Op {
  fn: (w: Statements) => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** Queues write requests and commits them in groups on one connection. */
export class GroupCommit {
  #queue: Op[] = [];
  #flushing = false;
  // The next group runs each op in its own savepoint (after a failure of the fast path).
  #isolate = false;

  /**
   * @param afterCommit called after each group that committed (while no transaction is open).
   */
  constructor(
    readonly w: Statements,
    readonly busyTimeoutMs: number,
    readonly isBusy: (e: unknown) => boolean,
    readonly failure: (e: unknown) => unknown,
    readonly afterCommit: () => void = () => {},
  ) {}

  /** True while requests are queued or a group is being written. */
  get busy(): boolean {
    return this.#flushing;
  }

  /**
   * Runs `fn` in a write transaction shared with the requests queued alongside it. `fn` may run
   * more than once (when another request of its group fails): it must only touch the database.
   */
  write<T>(fn: (w: Statements) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#flushing) {
        this.#flushing = true;
        const flush = () => this.#flush();
        if (setImmediate) setImmediate(flush);
        else void import("node:timers").then((t) => (setImmediate = t.setImmediate)(flush));
      }
    });
  }

  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        try {
          await this.#begin();
        } catch (e) {
          const ops = this.#queue.splice(0);
          for (const op of ops) op.reject(e);
          continue;
        }
        const ops = this.#queue.splice(0);
        const isolate = this.#isolate;
        this.#isolate = false;
        let committed = false;
        try {
          committed = isolate ? this.#runIsolated(ops) : this.#runGroup(ops);
        } catch (e) {
          // A ROLLBACK failed: refuse the requests not settled yet (settling twice is a no-op).
          for (const op of ops) op.reject(this.failure(e));
          try {
            if (this.w.db.isTransaction) this.w.db.exec("ROLLBACK");
          } catch { /* the next BEGIN reports what is wrong */ }
        }
        if (committed) this.afterCommit();
      }
    } finally {
      this.#flushing = false;
    }
  }

  async #begin(): Promise<void> {
    const deadline = Date.now() + this.busyTimeoutMs;
    for (let delay = 1;; delay = Math.min(delay * 2, 50)) {
      try {
        this.w.db.exec("BEGIN IMMEDIATE");
        return;
      } catch (e) {
        if (!this.isBusy(e) || Date.now() >= deadline) throw this.failure(e);
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  // Runs the group in the open transaction without savepoints and commits it; settles every
  // request, or, when one fails, rolls everything back, refuses it and queues the others again
  // for an isolated run. Returns true when something was committed.
  #runGroup(ops: Op[]): boolean {
    const db = this.w.db;
    const values: unknown[] = [];
    for (let i = 0; i < ops.length; i++) {
      try {
        values.push(ops[i].fn(this.w));
      } catch (e) {
        if (!db.isTransaction) {
          // SQLite rolled back the whole transaction (I/O error, disk full…): nothing of the
          // group is stored; the requests not yet run go to the next transaction.
          for (const op of ops.slice(0, i + 1)) op.reject(this.failure(e));
          this.#queue.unshift(...ops.slice(i + 1));
          return false;
        }
        db.exec("ROLLBACK");
        ops[i].reject(this.failure(e));
        if (ops.length > 1) {
          this.#queue.unshift(...ops.slice(0, i), ...ops.slice(i + 1));
          this.#isolate = true;
        }
        return false;
      }
    }
    return this.#commit(ops, values);
  }

  // Runs each op of the group in its own savepoint, so that a failing one undoes only its own
  // rows, and commits the others.
  #runIsolated(ops: Op[]): boolean {
    const db = this.w.db;
    const done: Op[] = [];
    const values: unknown[] = [];
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      try {
        db.exec("SAVEPOINT mlt_op");
        const value = op.fn(this.w);
        db.exec("RELEASE mlt_op");
        done.push(op);
        values.push(value);
      } catch (e) {
        if (!db.isTransaction) {
          for (const d of done) d.reject(this.failure(e));
          op.reject(this.failure(e));
          this.#queue.unshift(...ops.slice(i + 1));
          return false;
        }
        db.exec("ROLLBACK TO mlt_op");
        db.exec("RELEASE mlt_op");
        op.reject(this.failure(e));
      }
    }
    if (done.length === 0) {
      db.exec("ROLLBACK");
      return false;
    }
    return this.#commit(done, values);
  }

  #commit(ops: Op[], values: unknown[]): boolean {
    const db = this.w.db;
    try {
      db.exec("COMMIT");
    } catch (e) {
      if (db.isTransaction) db.exec("ROLLBACK");
      for (const op of ops) op.reject(this.failure(e));
      return false;
    }
    for (let i = 0; i < ops.length; i++) ops[i].resolve(values[i]);
    return true;
  }
}
