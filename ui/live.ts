/**
 * Live updates as server-sent events. Stores have no change notification, so each open stream
 * polls the store cheaply (getRun: status and latest metrics) and sends server-rendered
 * fragments only for what changed: a run's status, metric rows and charts; or the statuses of a
 * runs table. Streams end when the client goes away, after `maxLifeMs` (EventSource reconnects),
 * or when the server closes the hub.
 */
import { h } from "preact";
import type { Run } from "../src/model.ts";
import type { TrackingStore } from "../src/store/store.ts";
import { SvgChart } from "./components/chart.tsx";
import type { ChartView } from "./components/chart_controls.tsx";
import { MetricRow } from "./components/metrics.tsx";
import { StatusBadge, Time } from "./components/status.tsx";
import { type ChartSource, mapLimit } from "./chart_build.ts";
import { metricChart, SMALL } from "./data.ts";
import { formatDuration, runDuration } from "./format.ts";
import { fragment } from "./render.ts";
import type { Urls } from "./urls.ts";

/** Most open live streams per server, and per client address. */
export const LIVE_LIMITS = { total: 64, perClient: 16 };
/** Most run ids one status stream polls (a runs page shows at most 1,000 runs). */
export const MAX_LIVE_IDS = 1000;

/** Run ids recently found missing (bounded, 10 s each), so reconnecting streams skip them. */
export class RecentMisses {
  readonly #until = new Map<string, number>();

  constructor(readonly limit = 10_000, readonly ttlMs = 10_000) {}

  /** True when `id` was missing less than `ttlMs` ago. */
  has(id: string): boolean {
    const t = this.#until.get(id);
    if (t === undefined) return false;
    if (t > Date.now()) return true;
    this.#until.delete(id);
    return false;
  }

  /** Remembers that `id` names no run. */
  add(id: string): void {
    if (this.#until.size >= this.limit) this.#until.delete(this.#until.keys().next().value!);
    this.#until.set(id, Date.now() + this.ttlMs);
  }
}

/** Open streams, so the server can end them all on shutdown; bounded in number. */
export class LiveHub {
  #stops = new Set<() => void>();
  #perClient = new Map<string, number>();
  readonly #limits: { total: number; perClient: number };
  /** Ids status streams found missing, shared by all streams. */
  readonly misses = new RecentMisses();

  constructor(limits = LIVE_LIMITS) {
    this.#limits = limits;
  }

  /**
   * Registers a stream's stop function; returns the unregister function, or undefined when the
   * server or this client already has as many streams as allowed.
   */
  add(stop: () => void, client = "local"): (() => boolean) | undefined {
    const mine = this.#perClient.get(client) ?? 0;
    if (this.#stops.size >= this.#limits.total || mine >= this.#limits.perClient) return undefined;
    this.#stops.add(stop);
    this.#perClient.set(client, mine + 1);
    return () => {
      if (!this.#stops.delete(stop)) return false;
      const left = (this.#perClient.get(client) ?? 1) - 1;
      if (left > 0) this.#perClient.set(client, left);
      else this.#perClient.delete(client);
      return true;
    };
  }
  /** Ends every open stream. */
  close(): void {
    for (const s of [...this.#stops]) s();
  }
  /** Number of open streams. */
  get size(): number {
    return this.#stops.size;
  }
}

/** Options of one stream. */
export interface StreamOptions {
  hub: LiveHub;
  /** The client's address, for the per-client stream limit. */
  client?: string;
  signal?: AbortSignal;
  /** Settles when the response ends or the client goes away (Deno's `info.completed`). */
  done?: Promise<unknown>;
  intervalMs: number;
  maxLifeMs?: number;
  /** Returns the next event's JSON, or undefined when nothing changed; "" ends the stream. */
  tick: () => Promise<string | undefined>;
}

/**
 * A text/event-stream response that calls `tick` every `intervalMs`; a 429 when the hub is full
 * (EventSource does not retry it).
 */
export function sseResponse(o: StreamOptions): Response {
  const enc = new TextEncoder();
  const started = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let ctrl: ReadableStreamDefaultController<Uint8Array>;
  let idle = 0;
  const stop = () => {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    unregister?.();
    o.signal?.removeEventListener("abort", stop);
    try {
      ctrl.close();
    } catch {
      // already closed or errored by the client going away
    }
  };
  const loop = async () => {
    if (closed) return;
    try {
      const data = await o.tick();
      if (closed) return;
      if (data === "") return stop();
      if (data !== undefined) ctrl.enqueue(enc.encode(`data: ${data}\n\n`));
      else if (++idle % 30 === 0) ctrl.enqueue(enc.encode(": ping\n\n"));
    } catch (e) {
      if (closed) return;
      console.error(e);
    }
    if (Date.now() - started > (o.maxLifeMs ?? 30 * 60_000)) stop();
    else if (!closed) timer = setTimeout(loop, o.intervalMs);
  };
  const unregister = o.hub.add(stop, o.client);
  if (!unregister) {
    return Response.json({
      error_code: "REQUEST_LIMIT_EXCEEDED",
      message: "Too many live streams are open; close some pages or reload later",
    }, { status: 429 });
  }
  // A client that hangs up is noticed when its connection closes, not at the next write.
  o.done?.then(stop, stop);
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      ctrl = c;
      o.signal?.addEventListener("abort", stop);
      c.enqueue(enc.encode("retry: 1000\n\n"));
      timer = setTimeout(loop, 0);
    },
    cancel: stop,
  });
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
    },
  });
}

/** A short hash of a string (FNV-1a, hex). */
export function fnv(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16);
}

/** Per-metric signatures of a run's latest values. */
export function metricSigs(run: Run): Map<string, string> {
  return new Map(run.data.metrics.map((m) => [m.key, `${m.step}:${m.timestamp}:${m.value}`]));
}

/** The signature of what a run page shows live: status, end time and latest metrics. */
export function runSig(run: Run): string {
  const parts = [run.info.status, String(run.info.endTime ?? "")];
  for (const [k, v] of [...metricSigs(run)].sort()) parts.push(`${k}=${v}`);
  return fnv(parts.join("|"));
}

/**
 * The tick of a run page's stream. `since` is the signature the page was rendered with: if the
 * run changed before the stream opened, the first event re-sends every metric.
 */
export function runTicker(
  src: ChartSource,
  u: Urls,
  runId: string,
  view: ChartView,
  since: string | undefined,
  now: () => number,
): () => Promise<string | undefined> {
  let prev: Map<string, string> | undefined;
  let prevStatus = "";
  let lastDuration = "";
  return async () => {
    const run = await src.store.getRun(runId);
    const sigs = metricSigs(run);
    if (prev === undefined) {
      prev = since !== undefined && since === runSig(run) ? sigs : new Map();
      prevStatus = since !== undefined && since === runSig(run) ? statusSig(run) : "";
    }
    const changed = [...sigs.keys()].filter((k) => prev!.get(k) !== sigs.get(k)).sort();
    const duration = formatDuration(runDuration(run, now()));
    const status = statusSig(run);
    if (!changed.length && status === prevStatus && duration === lastDuration) return undefined;
    prev = sigs;
    prevStatus = status;
    lastDuration = duration;
    const metrics = await mapLimit(changed, 4, async (key) => {
      const { chart, summaries } = await metricChart(src, u, [key], [run], view, SMALL);
      const s = summaries[0];
      const latest = run.data.metrics.find((m) => m.key === key) ?? s?.latest;
      return {
        key,
        points: chart.points,
        row: s && latest
          ? fragment(h(MetricRow, { s: { key, ...s, latest }, href: u.metric(key, [runId]) }))
          : "",
        figure: fragment(h(SvgChart, chart)),
      };
    });
    return JSON.stringify({
      status: run.info.status,
      statusHtml: fragment(
        h(StatusBadge, { status: run.info.status, deleted: run.info.lifecycleStage === "deleted" }),
      ),
      endHtml: fragment(h(Time, { ms: run.info.endTime })),
      duration,
      metrics,
    });
  };
}

function statusSig(run: Run): string {
  return `${run.info.status}|${run.info.endTime ?? ""}|${run.info.lifecycleStage}`;
}

/**
 * The tick of a runs table's stream: statuses and durations of the listed runs. Ids that name no
 * run are dropped after the first look, and the event loop gets a turn every few reads, so a
 * stream of 1,000 unknown ids costs one pass, not one per tick.
 */
export function statusTicker(
  store: TrackingStore,
  runIds: string[],
  now: () => number,
  misses = new RecentMisses(),
): () => Promise<string | undefined> {
  const prev = new Map<string, string>();
  let ids = runIds.slice(0, MAX_LIVE_IDS);
  return async () => {
    const gone = new Set<string>();
    const runs = await mapLimit(ids, 8, async (id, i) => {
      if (misses.has(id)) {
        gone.add(id);
        return undefined;
      }
      if (i % 8 === 7) await new Promise((r) => setTimeout(r, 0));
      try {
        return await store.getRun(id);
      } catch {
        gone.add(id);
        misses.add(id);
        return undefined;
      }
    });
    if (gone.size) ids = ids.filter((id) => !gone.has(id));
    if (ids.length === 0) return "";
    const out: Record<string, { statusHtml?: string; duration: string }> = {};
    let any = false;
    for (const run of runs) {
      if (!run) continue;
      const id = run.info.runId;
      const sig = statusSig(run);
      const duration = formatDuration(runDuration(run, now()));
      const entry: { statusHtml?: string; duration: string } = { duration };
      if (prev.get(id) !== sig) {
        entry.statusHtml = fragment(h(StatusBadge, { status: run.info.status }));
        prev.set(id, sig);
      }
      if (entry.statusHtml !== undefined || run.info.status === "RUNNING") {
        out[id] = entry;
        any = true;
      }
    }
    return any ? JSON.stringify({ runs: out }) : undefined;
  };
}
