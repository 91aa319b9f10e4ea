/**
 * The bound in front of the connection pool: at most `permits` store operations hold a
 * connection at once; the others wait in a queue of at most `queueLimit`, each at most
 * `waitMs`. A request past either bound is refused with 503 TEMPORARILY_UNAVAILABLE at once,
 * so that an overloaded server answers quickly instead of piling up sockets and memory.
 */
import { MltError } from "../../errors.ts";

interface Waiter {
  grant: () => void;
  timer: ReturnType<typeof setTimeout>;
}

/** A counting semaphore with a bounded, timed queue. */
export class Gate {
  #free: number;
  #queue: Waiter[] = [];

  constructor(
    readonly permits: number,
    readonly queueLimit: number,
    readonly waitMs: number,
    readonly display: string,
  ) {
    this.#free = permits;
  }

  /** Operations waiting for a connection. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Runs `fn` once a permit is free (503 when the queue is full or the wait too long). */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.#acquire();
    try {
      return await fn();
    } finally {
      this.#release();
    }
  }

  #busy(why: string): MltError {
    return new MltError(
      "TEMPORARILY_UNAVAILABLE",
      `The PostgreSQL database "${this.display}" is busy: ${why} (pool of ${this.permits} ` +
        "connections; raise --pg-pool-size or try again later)",
    );
  }

  #acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    if (this.#queue.length >= this.queueLimit) {
      return Promise.reject(this.#busy(`${this.#queue.length} requests already wait`));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          clearTimeout(waiter.timer);
          resolve();
        },
        timer: setTimeout(() => {
          const i = this.#queue.indexOf(waiter);
          if (i >= 0) this.#queue.splice(i, 1);
          reject(this.#busy(`no connection was free within ${this.waitMs} ms`));
        }, this.waitMs),
      };
      this.#queue.push(waiter);
    });
  }

  #release(): void {
    const next = this.#queue.shift();
    if (next) next.grant();
    else this.#free++;
  }
}
