/** Metric history endpoints: paged history, the UI's bulk history and its sampled interval view. */
import { Hono } from "hono";
import { invalidParam } from "../errors.ts";
import type { Metric } from "../model.ts";
import type { TrackingStore } from "../store/store.ts";
import { validateRunId } from "../validate.ts";
import { type ApiContext, endpoint } from "./context.ts";
import { encodeMetric, message } from "./wire.ts";

/** Most run ids one bulk request may name. */
export const MAX_BULK_RUNS = 100;
/** Most points per run of `get-history-bulk-interval`. */
export const MAX_RESULTS_PER_RUN = 2500;
/** Most points of `get-history-bulk`. */
export const MAX_BULK_HISTORY = 25000;

async function fullHistory(store: TrackingStore, runId: string, key: string): Promise<Metric[]> {
  return (await store.getMetricHistory(validateRunId(runId), key)).items;
}

// MLflow's sampling: up to `max` evenly spaced steps of all runs in range, plus each run's
// min and max step.
function sampleSteps(all: number[][], max: number, start?: number, end?: number): Set<number> {
  const edges = new Set<number>();
  for (const steps of all) {
    if (!steps.length) continue;
    // A loop, not Math.min(...steps): histories can exceed the argument-count limit.
    let first = steps[0], last = steps[0];
    for (const s of steps) {
      if (s < first) first = s;
      if (s > last) last = s;
    }
    edges.add(first).add(last);
  }
  const distinct = new Set<number>();
  for (const steps of all) for (const s of steps) distinct.add(s);
  const sorted = [...distinct].sort((a, b) => a - b);
  const lo = start ?? 0;
  const hi = end ?? (sorted.length ? sorted[sorted.length - 1] : 0);
  const inRange = sorted.filter((s) => s >= lo && s <= hi);
  const out = new Set<number>();
  if (inRange.length <= max) inRange.forEach((s) => out.add(s));
  else {
    const interval = inRange.length / max;
    for (let i = 0; i < max; i++) out.add(inRange[Math.floor(i * interval)]);
    out.add(inRange[inRange.length - 1]);
  }
  for (const s of edges) if (s >= lo && s <= hi) out.add(s);
  return out;
}

/** Routes of `metrics/*`. */
export function metricRoutes(ctx: ApiContext): Hono {
  const r = new Hono();
  const store = ctx.store;

  endpoint(r, ctx, ["GET"], "metrics/get-history", async (q) => {
    // Omitted max_results means every point (MLflow's server answers an empty page instead).
    if (q.maxResults !== undefined && q.maxResults <= 0) {
      throw invalidParam(
        `Invalid value ${q.maxResults} for parameter 'max_results' supplied. ` +
          "It must be a positive integer.",
      );
    }
    const page = await store.getMetricHistory(validateRunId(q.runId), q.metricKey, {
      maxResults: q.maxResults,
      pageToken: q.pageToken || undefined,
    });
    return message({
      metrics: page.items.map((m) => encodeMetric(m)),
      next_page_token: page.nextPageToken,
    });
  });

  // One history read per run (≤ 100): the store has no bulk read.
  endpoint(r, ctx, ["GET"], "metrics/get-history-bulk-interval", async (q) => {
    const runIds: string[] = q.runIds;
    if (runIds.length > MAX_BULK_RUNS) {
      throw invalidParam(
        `GetMetricHistoryBulkInterval request must specify at most ${MAX_BULK_RUNS} run_ids. ` +
          `Received ${runIds.length} run_ids.`,
      );
    }
    const max = q.maxResults ?? MAX_RESULTS_PER_RUN;
    if (max < 1 || max > MAX_RESULTS_PER_RUN) {
      throw invalidParam(`max_results must be between 1 and ${MAX_RESULTS_PER_RUN}.`);
    }
    const { startStep, endStep } = q;
    if ((startStep === undefined) !== (endStep === undefined)) {
      throw invalidParam("If either start step or end step are specified, both must be specified.");
    }
    if (startStep !== undefined && startStep > endStep) {
      throw invalidParam(
        "end_step must be greater than start_step. " +
          `Found start_step=${startStep} and end_step=${endStep}.`,
      );
    }
    const histories = await Promise.all(runIds.map((id) => fullHistory(store, id, q.metricKey)));
    const steps = sampleSteps(histories.map((h) => h.map((m) => m.step)), max, startStep, endStep);
    const perRun = Math.max(max, steps.size);
    const out: Record<string, unknown>[] = [];
    histories.forEach((h, i) => {
      const picked = h.filter((m) => steps.has(m.step))
        .sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
      // Even thinning when one step holds many values, so late steps are not crowded out.
      const keep = picked.length <= perRun
        ? picked
        : Array.from({ length: perRun }, (_, k) =>
          picked[Math.round(k * (picked.length - 1) / (perRun - 1 || 1))]);
      for (const m of keep) out.push(encodeMetric(m, runIds[i]));
    });
    return message({ metrics: out });
  });

  endpoint(r, ctx, ["GET"], "metrics/get-history-bulk", async (q) => {
    const runIds: string[] = q.runIds;
    if (runIds.length > MAX_BULK_RUNS) {
      throw invalidParam(
        `GetMetricHistoryBulk request cannot specify more than ${MAX_BULK_RUNS} run_ids. ` +
          `Received ${runIds.length} run_ids.`,
      );
    }
    const max = Math.min(q.maxResults ?? MAX_BULK_HISTORY, MAX_BULK_HISTORY);
    const sorted = [...runIds].sort();
    const histories = await Promise.all(sorted.map((id) => fullHistory(store, id, q.metricKey)));
    const out: Record<string, unknown>[] = [];
    histories.forEach((h, i) => {
      const ms = [...h].sort((a, b) =>
        a.timestamp - b.timestamp || a.step - b.step || a.value - b.value
      );
      for (const m of ms.slice(0, max)) out.push(encodeMetric(m, sorted[i]));
    });
    return { metrics: out.slice(0, max) };
  });

  return r;
}
