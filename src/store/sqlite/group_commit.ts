/**
 * The SQLite store's one writer: write requests queue up and run together in one BEGIN IMMEDIATE
 * transaction (group commit), each inside its own savepoint so a failing request undoes only its
 * own rows. Requests issued while a transaction waits for another process's lock join the next
 * one. The lock is awaited between event-loop turns, never by blocking, up to the busy timeout;
 * then every waiting request fails with TEMPORARILY_UNAVAILABLE (503).
 */
import type { Statements } from "./connection.ts";

interface Op {
  fn: (w: Statements) => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** Queues write requests and commits them in groups on one connection. */
export class GroupCommit {
  #queue: Op[] = [];
  #flushing = false;

  constructor(
    readonly w: Statements,
    readonly busyTimeoutMs: number,
    readonly isBusy: (e: unknown) => boolean,
    readonly failure: (e: unknown) => unknown,
  ) {}

  /** Runs `fn` in a write transaction shared with the requests queued alongside it. */
  write<T>(fn: (w: Statements) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#flushing) {
        this.#flushing = true;
        queueMicrotask(() => this.#flush());
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
        this.#runGroup(this.#queue.splice(0));
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

  // Runs the group in the open transaction and commits it; settles every request.
  #runGroup(ops: Op[]): void {
    const db = this.w.db;
    const done: { op: Op; value: unknown }[] = [];
    const single = ops.length === 1;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      try {
        if (!single) db.exec("SAVEPOINT mlt_op");
        const value = op.fn(this.w);
        if (!single) db.exec("RELEASE mlt_op");
        done.push({ op, value });
      } catch (e) {
        if (!db.isTransaction) {
          // SQLite rolled back the whole transaction (I/O error, disk full…): nothing of the
          // group is stored; the requests not yet run go to the next transaction.
          for (const d of done) d.op.reject(this.failure(e));
          op.reject(this.failure(e));
          this.#queue.unshift(...ops.slice(i + 1));
          return;
        }
        if (!single) {
          db.exec("ROLLBACK TO mlt_op");
          db.exec("RELEASE mlt_op");
        }
        op.reject(this.failure(e));
      }
    }
    try {
      if (single && done.length === 0) db.exec("ROLLBACK");
      else db.exec("COMMIT");
    } catch (e) {
      if (db.isTransaction) db.exec("ROLLBACK");
      for (const d of done) d.op.reject(this.failure(e));
      return;
    }
    for (const d of done) d.op.resolve(d.value);
  }
}
