/**
 * Buffered, batched logging for one run: points, params and tags are checked when they are
 * logged, queued, and sent with `logBatch` within MLflow's batch limits — when a batch is full,
 * every `intervalMs`, and on `flush()`. Nothing is dropped silently: a refused batch and a
 * failure to reach the store are raised from the next `flush()` and counted in `pending()`.
 */
import { invalidParam, MltError } from "../errors.ts";
import type { Metric, Param, Tag } from "../model.ts";
import type { LogBatch, TrackingStore } from "../store/store.ts";
import { BATCH_LIMITS, validateMetric, validateParam, validateTag } from "../validate.ts";

/** Splits a batch of any size into batches within MLflow's limits (params, then tags, metrics). */
export function chunkBatch(b: LogBatch): LogBatch[] {
  const metrics = [...b.metrics ?? []];
  const params = [...b.params ?? []];
  const tags = [...b.tags ?? []];
  const out: LogBatch[] = [];
  while (metrics.length || params.length || tags.length) {
    const p = params.splice(0, BATCH_LIMITS.params);
    const t = tags.splice(0, BATCH_LIMITS.tags);
    const m = metrics.splice(0, BATCH_LIMITS.total - p.length - t.length);
    const batch: LogBatch = {};
    if (m.length) batch.metrics = m;
    if (p.length) batch.params = p;
    if (t.length) batch.tags = t;
    out.push(batch);
  }
  return out;
}

/** Counts of what is queued and not yet accepted by the store. */
export interface Pending {
  metrics: number;
  params: number;
  tags: number;
}

/** Options of a Batcher. */
export interface BatcherOptions {
  /** Background send interval in ms (0 = only when full and on flush). Default 1000. */
  intervalMs?: number;
}

function describe(b: LogBatch): string {
  const parts: string[] = [];
  const n = (x: number, one: string, many: string) =>
    x && parts.push(`${x} ${x === 1 ? one : many}`);
  n(b.metrics?.length ?? 0, "metric point", "metric points");
  n(b.params?.length ?? 0, "param", "params");
  n(b.tags?.length ?? 0, "tag", "tags");
  return parts.join(", ");
}

// A refusal (4xx) will be refused again; anything else may pass on a later try.
function permanent(e: unknown): boolean {
  return e instanceof MltError && e.status >= 400 && e.status < 500 && e.status !== 429;
}

/** The send queue of one run. */
export class Batcher {
  readonly runId: string;
  #store: TrackingStore;
  #metrics: Metric[] = [];
  #params = new Map<string, string>();
  #tags = new Map<string, string>();
  #sentParams = new Map<string, string>();
  #errors: MltError[] = [];
  #chain: Promise<void> = Promise.resolve();
  #timer?: ReturnType<typeof setInterval>;
  #closed = false;

  constructor(store: TrackingStore, runId: string, opts: BatcherOptions = {}) {
    this.#store = store;
    this.runId = runId;
    const every = opts.intervalMs ?? 1000;
    if (every > 0) {
      const timer = setInterval(() => {
        if (this.#size() > 0) void this.#send();
      }, every);
      // The timer must not keep a finished script alive; exit hooks flush instead.
      Deno.unrefTimer(timer);
      this.#timer = timer;
    }
  }

  #size(): number {
    return this.#metrics.length + this.#params.size + this.#tags.size;
  }

  /** What is queued or failed and not yet accepted by the store. */
  pending(): Pending {
    return { metrics: this.#metrics.length, params: this.#params.size, tags: this.#tags.size };
  }

  /** Errors recorded by background sends and not yet raised. */
  unreportedErrors(): MltError[] {
    return [...this.#errors];
  }

  #check(): void {
    if (this.#closed) throw new MltError("INVALID_STATE", `Run ${this.runId} has ended`);
  }

  /** Queues one metric point (checked now). */
  addMetric(m: Metric): void {
    this.#check();
    this.#metrics.push(validateMetric(m));
    if (this.#metrics.length >= BATCH_LIMITS.metrics) void this.#send();
  }

  /** Queues a param; a second value for a key already logged is refused now. */
  addParam(p: Param): void {
    this.#check();
    const { key, value } = validateParam(p);
    const known = this.#params.get(key) ?? this.#sentParams.get(key);
    if (known === value) return;
    if (known !== undefined) {
      throw invalidParam(
        `Changing param values is not allowed. Param with key='${key}' was already logged with ` +
          `value='${known}' for run ID='${this.runId}'. Attempted logging new value '${value}'.`,
      );
    }
    this.#params.set(key, value);
    if (this.#params.size >= BATCH_LIMITS.params) void this.#send();
  }

  /** Queues a tag (the last value of a key wins). */
  addTag(t: Tag): void {
    this.#check();
    const { key, value } = validateTag(t);
    this.#tags.delete(key);
    this.#tags.set(key, value);
    if (this.#tags.size >= BATCH_LIMITS.tags) void this.#send();
  }

  // Sends everything queued now, one batch after another, after any send in progress.
  #send(): Promise<void> {
    this.#chain = this.#chain.then(() => this.#drain());
    return this.#chain;
  }

  async #drain(): Promise<void> {
    while (this.#size() > 0) {
      const params = [...this.#params].slice(0, BATCH_LIMITS.params)
        .map(([key, value]) => ({ key, value }));
      const tags = [...this.#tags].slice(0, BATCH_LIMITS.tags)
        .map(([key, value]) => ({ key, value }));
      const metrics = this.#metrics.slice(0, BATCH_LIMITS.total - params.length - tags.length);
      const whole: LogBatch = { metrics, params, tags };
      const e = await this.#try(whole);
      if (e === undefined) continue;
      if (!permanent(e)) return this.#failed(whole, e, false);
      // One refused param must not take the batch's metrics down with it: send each kind alone.
      const parts = [{ params }, { tags }, { metrics }].filter((b) => Object.values(b)[0].length);
      if (parts.length === 1) {
        this.#take(whole);
        this.#failed(whole, e, true);
        continue;
      }
      for (const part of parts) {
        const err = await this.#try(part);
        if (err === undefined) continue;
        if (!permanent(err)) return this.#failed(part, err, false);
        this.#take(part);
        this.#failed(part, err, true);
      }
    }
  }

  // Sends one batch; on success removes it from the queue; returns the error otherwise.
  async #try(batch: LogBatch): Promise<unknown> {
    try {
      await this.#store.logBatch(this.runId, batch);
    } catch (e) {
      return e;
    }
    this.#take(batch);
    return undefined;
  }

  #take(batch: LogBatch): void {
    this.#metrics.splice(0, batch.metrics?.length ?? 0);
    for (const p of batch.params ?? []) {
      this.#params.delete(p.key);
      this.#sentParams.set(p.key, p.value);
    }
    // A tag set again while this batch was in flight keeps its newer value queued.
    for (const t of batch.tags ?? []) {
      if (this.#tags.get(t.key) === t.value) this.#tags.delete(t.key);
    }
  }

  #failed(batch: LogBatch, e: unknown, dropped: boolean): void {
    const msg = e instanceof Error ? e.message : String(e);
    const code = e instanceof MltError ? e.code : "INTERNAL_ERROR";
    const what = `${describe(batch)} of run ${this.runId}`;
    this.#errors.push(
      new MltError(
        code,
        dropped ? `${what} were refused: ${msg}` : `${what} could not be sent yet: ${msg}`,
        { cause: e },
      ),
    );
  }

  /**
   * Sends everything queued; throws one MltError naming what was refused or could not be sent
   * (since the last flush). Unsent items stay queued for the next flush.
   */
  async flush(): Promise<void> {
    await this.#send();
    if (!this.#errors.length) return;
    const errors = this.#errors.splice(0);
    const left = describe({
      metrics: this.#metrics,
      params: [...this.#params].map(([key, value]) => ({ key, value })),
      tags: [...this.#tags].map(([key, value]) => ({ key, value })),
    });
    const detail = errors.map((e) => e.message).join("; ");
    throw new MltError(
      errors[0].code,
      `Logging to run ${this.runId} failed: ${detail}` +
        (left ? ` (still queued: ${left})` : ""),
    );
  }

  /** Stops the background timer; later additions are refused. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
  }

  /** A one-line account of what is still queued, or "" when nothing is. */
  describePending(): string {
    return describe({
      metrics: this.#metrics,
      params: [...this.#params].map(([key, value]) => ({ key, value })),
      tags: [...this.#tags].map(([key, value]) => ({ key, value })),
    });
  }
}
