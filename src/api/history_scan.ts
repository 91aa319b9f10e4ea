/**
 * Whole-history reads for the bulk metric endpoints in bounded memory and without holding the
 * event loop: a run's points are read page by page into three number columns (24 bytes a point
 * instead of a ~100-byte object), the loop is yielded between pages, only indices are sorted
 * (and only when the history is not already in order), Metric objects are made just for the
 * points answered, and the answer is written as JSON text. One scan runs at a time per server
 * (`ScanLimiter`): the others queue, so a flood of them adds waiting, not interleaved work that
 * would keep a health probe behind many busy turns of the event loop.
 */
import type { Metric } from "../model.ts";
import type { TrackingStore } from "../store/store.ts";
import { encodeMetricsJson } from "./wire.ts";

/** Points per store page while scanning a history. */
export const SCAN_PAGE = 5_000;
/** Whole-history scans run at once by one server. */
export const MAX_SCANS = 1;

/**
 * One metric's points as columns: key, value, timestamp and step only, which is all the bulk
 * endpoints answer (MLflow sends those five fields with the run id there, no dataset or model).
 */
export class HistoryColumns {
  step = new Float64Array(1024);
  timestamp = new Float64Array(1024);
  value = new Float64Array(1024);
  n = 0;

  constructor(readonly key: string) {}

  /** Appends one point. */
  push(m: Metric): void {
    if (this.n === this.step.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.step = grow(this.step);
      this.timestamp = grow(this.timestamp);
      this.value = grow(this.value);
    }
    this.step[this.n] = m.step;
    this.timestamp[this.n] = m.timestamp;
    this.value[this.n] = m.value;
    this.n++;
  }

  /** Point `i` as a Metric. */
  metric(i: number): Metric {
    return {
      key: this.key,
      value: this.value[i],
      timestamp: this.timestamp[i],
      step: this.step[i],
    };
  }
}

/** Gives other requests (health probes among them) a turn. */
export function yieldToLoop(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}

/** Reads every point of a run's metric that `keep` accepts, page by page. */
export async function readColumns(
  store: TrackingStore,
  runId: string,
  key: string,
  keep: (m: Metric) => boolean = () => true,
): Promise<HistoryColumns> {
  const cols = new HistoryColumns(key);
  let pageToken: string | undefined;
  do {
    const page = await store.getMetricHistory(runId, key, { maxResults: SCAN_PAGE, pageToken });
    for (const m of page.items) if (keep(m)) cols.push(m);
    pageToken = page.nextPageToken;
    await yieldToLoop();
  } while (pageToken);
  return cols;
}

/** A comparison of two points of one history, by index. */
export type PointOrder = (c: HistoryColumns, i: number, j: number) => number;

const nan0 = (v: number) => Number.isNaN(v) ? 0 : v;

/** MLflow's SQL sampling order: step, timestamp, value (NaN as 0), then NaN last. */
export const byStepTime: PointOrder = (c, i, j) => {
  const va = nan0(c.value[i]), vb = nan0(c.value[j]);
  return c.step[i] - c.step[j] || c.timestamp[i] - c.timestamp[j] ||
    (va < vb ? -1 : va > vb ? 1 : 0) ||
    Number(Number.isNaN(c.value[i])) - Number(Number.isNaN(c.value[j]));
};

/** get-history-bulk's order: timestamp, step, value. */
export const byTimeStep: PointOrder = (c, i, j) =>
  c.timestamp[i] - c.timestamp[j] || c.step[i] - c.step[j] || c.value[i] - c.value[j];

/** The indices of the points in `order` (stable); a history already in order is not sorted. */
export function ordered(c: HistoryColumns, order: PointOrder): ArrayLike<number> {
  let sorted = true;
  for (let i = 1; i < c.n && sorted; i++) sorted = order(c, i - 1, i) <= 0;
  const idx = new Uint32Array(c.n);
  for (let i = 0; i < c.n; i++) idx[i] = i;
  return sorted ? idx : idx.sort((a, b) => order(c, a, b) || a - b);
}

/**
 * MLflow 3.17's SQL sampling of `n` ordered points into at most `max`: positions cut into `max`
 * buckets as SQL's NTILE does (the first `n % max` one larger), the first of each kept, and the
 * last point always ends the sample (replacing the final pick when `max` are taken).
 */
export function ntilePositions(n: number, max: number): number[] {
  if (n === 0) return [];
  const size = Math.floor(n / max), extra = n % max;
  const out: number[] = [];
  for (let b = 0, i = 0; b < Math.min(max, n); b++) {
    out.push(i);
    i += size + (b < extra ? 1 : 0);
  }
  if (out[out.length - 1] !== n - 1) {
    if (out.length >= max) out[out.length - 1] = n - 1;
    else out.push(n - 1);
  }
  return out;
}

/** A queue that lets at most `max` scans run at once. */
export class ScanLimiter {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly max = MAX_SCANS) {}

  /** Runs `fn` when a slot is free. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#running >= this.max) await new Promise<void>((r) => this.#waiting.push(r));
    else this.#running++;
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next(); // the slot passes straight to the next scan
      else this.#running--;
    }
  }
}

/** Options of a multi-run history answer. */
export interface RunsQuery {
  store: TrackingStore;
  /** Distinct run ids, in answer order. */
  runIds: string[];
  key: string;
  /** Most points per run (sampled) or in all (earliest). */
  max: number;
  scans: ScanLimiter;
}

/**
 * JSON array text of get-history-bulk-interval's points: each run's points in range sampled as
 * MLflow's SQL store does (ntilePositions by step, timestamp, value), with their run ids.
 */
export async function sampledJson(
  q: RunsQuery,
  keep?: (m: Metric) => boolean,
): Promise<string> {
  const parts: string[] = [];
  for (const runId of q.runIds) {
    parts.push(
      await q.scans.run(async () => {
        const cols = await readColumns(q.store, runId, q.key, keep);
        const order = ordered(cols, byStepTime);
        const picked = ntilePositions(cols.n, q.max).map((p) => cols.metric(order[p]));
        return await encodeInSlices(picked, runId);
      }),
    );
  }
  return `[${parts.filter(Boolean).join(",")}]`;
}

// JSON text of the points (without brackets), encoded a page at a time with turns between.
async function encodeInSlices(points: Metric[], runId?: string): Promise<string> {
  const parts: string[] = [];
  for (let i = 0; i < points.length; i += SCAN_PAGE) {
    if (i > 0) await yieldToLoop();
    parts.push(encodeMetricsJson(points.slice(i, i + SCAN_PAGE), runId).slice(1, -1));
  }
  return parts.join(",");
}

/**
 * One get-history page of up to `max` points as JSON text (without brackets) and the token of
 * the next, read from the store in pages of `SCAN_PAGE` with turns between: a 25,000-point page
 * is then five short turns of the event loop instead of one long one. The store's page tokens
 * chain, so the last sub-page's token is the token of the whole page.
 */
export async function historyPageJson(
  store: TrackingStore,
  runId: string,
  key: string,
  max: number,
  pageToken: string | undefined,
): Promise<{ text: string; nextPageToken?: string }> {
  const parts: string[] = [];
  let left = max;
  let token = pageToken;
  do {
    const page = await store.getMetricHistory(runId, key, {
      maxResults: Math.min(left, SCAN_PAGE),
      pageToken: token,
    });
    if (page.items.length) parts.push(encodeMetricsJson(page.items).slice(1, -1));
    left -= page.items.length;
    token = page.nextPageToken;
    if (token && left > 0) await yieldToLoop();
  } while (token && left > 0);
  return { text: parts.join(","), nextPageToken: token };
}

/** JSON array text of get-history-bulk's points: the `max` earliest (timestamp, step, value). */
export async function earliestJson(q: RunsQuery): Promise<string> {
  const parts: string[] = [];
  let left = q.max;
  for (const runId of q.runIds) {
    if (left <= 0) break; // the answer is full: later runs would be cut off anyway
    parts.push(
      await q.scans.run(async () => {
        const cols = await readColumns(q.store, runId, q.key);
        const order = ordered(cols, byTimeStep);
        const picked: Metric[] = [];
        for (let p = 0; p < cols.n && picked.length < left; p++) picked.push(cols.metric(order[p]));
        left -= picked.length;
        return await encodeInSlices(picked, runId);
      }),
    );
  }
  return `[${parts.filter(Boolean).join(",")}]`;
}
