/**
 * Bounds on password checks under `--auth basic`. PBKDF2 is slow on purpose, so wrong passwords
 * sent in parallel could occupy every core and delay everyone's sign-in, and a lockout per
 * address locks out every user behind one proxy. So:
 * - failures are counted per user and address (`FailureCounter`); over the budget a wrong
 *   password is answered 429, but a right one is still accepted;
 * - at most `concurrency` checks run at once (`CheckGate`), one at a time per user and address,
 *   taken round-robin across users and addresses, and those of addresses with recent failures
 *   only when no other check waits; an address over its budget gets one check a second.
 */

/** Failed sign-ins per key within a sliding minute. */
export class FailureCounter {
  readonly #failures = new Map<string, { count: number; since: number; last: number }>();
  readonly #max: number;
  readonly #now: () => number;
  readonly #limit: number;

  constructor(maxPerMinute: number, now: () => number, limit = 10_000) {
    this.#max = maxPerMinute;
    this.#now = now;
    this.#limit = limit;
  }

  /** Failures of `key` in the current minute. */
  count(key: string): number {
    const f = this.#failures.get(key);
    if (!f) return 0;
    if (this.#now() - f.since >= 60_000) {
      this.#failures.delete(key);
      return 0;
    }
    return f.count;
  }

  /** When `key` last failed (ms since epoch; 0 when it has no failure this minute). */
  lastFailure(key: string): number {
    return this.count(key) > 0 ? this.#failures.get(key)!.last : 0;
  }

  /** True when `key` has used up its budget. */
  over(key: string): boolean {
    return this.count(key) >= this.#max;
  }

  /** Records one failure of `key`. */
  fail(key: string): void {
    if (this.count(key) === 0) {
      // Oldest entries go first, so a flood of new keys cannot wipe the counts of older ones.
      if (this.#failures.size >= this.#limit) {
        this.#failures.delete(this.#failures.keys().next().value!);
      }
      this.#failures.set(key, { count: 0, since: this.#now(), last: 0 });
    }
    const f = this.#failures.get(key)!;
    f.count++;
    f.last = this.#now();
  }
}

interface Task {
  run: () => Promise<void>;
  low: boolean;
  notBefore: number;
}

interface Lane {
  tasks: Task[];
  active: boolean;
  queued: boolean;
}

/** Runs checks with bounded concurrency, fairly across lanes; see the module comment. */
export class CheckGate {
  readonly #max: number;
  readonly #lanes = new Map<string, Lane>();
  readonly #ready: [high: string[], low: string[]] = [[], []];
  #running = 0;
  /** Most checks that ever ran at once (tests). */
  peak = 0;

  constructor(concurrency: number) {
    this.#max = Math.max(1, concurrency);
  }

  /**
   * Runs `fn` in `lane` when a slot is free: after the lanes not marked `low`, and not sooner
   * than `delayMs` from now.
   */
  run<T>(lane: string, low: boolean, fn: () => Promise<T>, delayMs = 0): Promise<T> {
    const notBefore = delayMs > 0 ? Date.now() + delayMs : 0;
    return new Promise<T>((ok, fail) => {
      let l = this.#lanes.get(lane);
      if (!l) this.#lanes.set(lane, l = { tasks: [], active: false, queued: false });
      l.tasks.push({ run: () => fn().then(ok, fail), low, notBefore });
      this.#enqueue(lane, l);
      this.#pump();
    });
  }

  #enqueue(key: string, l: Lane): void {
    if (l.active || l.queued || l.tasks.length === 0) return;
    l.queued = true;
    this.#ready[l.tasks[0].low ? 1 : 0].push(key);
  }

  #pump(): void {
    while (this.#running < this.#max) {
      const key = this.#ready[0].shift() ?? this.#ready[1].shift();
      if (key === undefined) return;
      const l = this.#lanes.get(key)!;
      l.queued = false;
      const wait = l.tasks[0].notBefore - Date.now();
      if (wait > 0) {
        // Too early for this lane: it waits off the slots and rejoins the queue when due.
        l.active = true;
        setTimeout(() => {
          l.active = false;
          this.#enqueue(key, l);
          this.#pump();
        }, wait);
        continue;
      }
      const task = l.tasks.shift()!;
      l.active = true;
      this.#running++;
      this.peak = Math.max(this.peak, this.#running);
      task.run().finally(() => {
        this.#running--;
        l.active = false;
        if (l.tasks.length) this.#enqueue(key, l);
        else this.#lanes.delete(key);
        this.#pump();
      });
    }
  }
}
