/**
 * Metrics shared by the processes of `mlt server --workers N` through the `--expose-prometheus`
 * directory, so a scrape that lands on any process reports the whole server (MLflow's gunicorn
 * workers share theirs through the same directory). Each process writes its snapshot to
 * `mlt-metrics-<pid>.json` every interval and on close; a scrape sums the others' files with its
 * own live values. Gauges of a file not rewritten for a while (a process that ended) are dropped;
 * its counters stay, so totals never go down.
 */
import { join } from "node:path";
import type { ServerMetrics, Snapshot } from "./prometheus.ts";

const FILE = /^mlt-metrics-(\d+)\.json$/;
/** Default interval between two writes of a process's snapshot (ms). */
export const DEFAULT_SHARE_INTERVAL_MS = 1000;

/** Removes the snapshots a previous server left in `dir` (the first process does, at start). */
export async function clearShared(dir: string): Promise<void> {
  for await (const e of Deno.readDir(dir)) {
    if (FILE.test(e.name)) await Deno.remove(join(dir, e.name)).catch(() => {});
  }
}

/** One process's side of the shared directory. */
export class MetricsShare {
  readonly #metrics: ServerMetrics;
  readonly #dir: string;
  readonly #intervalMs: number;
  readonly #timer: ReturnType<typeof setInterval>;
  #writing: Promise<void> = Promise.resolve();

  constructor(metrics: ServerMetrics, dir: string, intervalMs = DEFAULT_SHARE_INTERVAL_MS) {
    this.#metrics = metrics;
    this.#dir = dir;
    this.#intervalMs = intervalMs;
    metrics.sources.peers = () => this.peers();
    this.#timer = setInterval(() => void this.write(), intervalMs);
    Deno.unrefTimer(this.#timer);
    void this.write();
  }

  /** Writes this process's snapshot (atomically: a reader never sees half a file). */
  write(): Promise<void> {
    this.#writing = this.#writing.then(async () => {
      const path = join(this.#dir, `mlt-metrics-${Deno.pid}.json`);
      const tmp = `${path}.tmp`;
      try {
        await Deno.writeTextFile(tmp, JSON.stringify(await this.#metrics.snapshot()));
        await Deno.rename(tmp, path);
      } catch (e) {
        console.error(`warning: cannot write metrics to ${this.#dir}: ${(e as Error).message}`);
      }
    });
    return this.#writing;
  }

  /** The other processes' snapshots. */
  async peers(): Promise<Snapshot[]> {
    const out: Snapshot[] = [];
    const staleBefore = Date.now() - 5 * this.#intervalMs;
    for await (const e of Deno.readDir(this.#dir)) {
      const pid = FILE.exec(e.name)?.[1];
      if (pid === undefined || Number(pid) === Deno.pid) continue;
      const path = join(this.#dir, e.name);
      try {
        const [text, info] = await Promise.all([Deno.readTextFile(path), Deno.stat(path)]);
        const snap = JSON.parse(text) as Snapshot;
        const live = (info.mtime?.getTime() ?? 0) >= staleBefore;
        out.push(live ? snap : snap.filter((m) => String(m.type) !== "gauge"));
      } catch {
        // Removed or replaced while read: its next write is read by the next scrape.
      }
    }
    return out;
  }

  /** Stops the periodic writes after a last one, so this process's counters outlive it. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.write();
  }
}
