/** Metric history endpoints: paged history, the UI's bulk history and its sampled interval view. */
import { Hono } from "hono";
import { invalidParam } from "../errors.ts";
import type { Metric } from "../model.ts";
import type { TrackingStore } from "../store/store.ts";
import { validateRunId } from "../validate.ts";
import { type ApiContext, endpoint } from "./context.ts";
import { encodeDouble } from "../entity_json.ts";
import { encodeMetricsJson, jsonTextResponse, message } from "./wire.ts";

/** Most run ids one bulk request may name. */
export const MAX_BULK_RUNS = 100;
/** Most points per run of `get-history-bulk-interval`. */
export const MAX_RESULTS_PER_RUN = 2500;
const DOCS = " See the API docs for more information about request parameters.";

/** Most points of `get-history-bulk`. */
export const MAX_BULK_HISTORY = 25000;

async function fullHistory(store: TrackingStore, runId: string, key: string): Promise<Metric[]> {
  return (await store.getMetricHistory(validateRunId(runId), key)).items;
}

// The order MLflow's SQL store samples in: step, timestamp, value (NaN as 0), then NaN last.
function byStepTime(a: Metric, b: Metric): number {
  const va = Number.isNaN(a.value) ? 0 : a.value, vb = Number.isNaN(b.value) ? 0 : b.value;
  return a.step - b.step || a.timestamp - b.timestamp || (va < vb ? -1 : va > vb ? 1 : 0) ||
    Number(Number.isNaN(a.value)) - Number(Number.isNaN(b.value));
}

/**
 * MLflow 3.17's SQL sampling of one run's points: the ordered points are cut into `max` buckets
 * as SQL's NTILE does (the first `n % max` one point larger), the first point of each is kept,
 * and the last point always ends the sample (replacing the final pick when `max` are taken).
 * Bounded by rows, not steps, so many values at one step cannot blow the answer up.
 */
export function sampleRun(points: Metric[], max: number): Metric[] {
  const sorted = [...points].sort(byStepTime);
  const n = sorted.length;
  if (n === 0) return [];
  const size = Math.floor(n / max), extra = n % max;
  const out: Metric[] = [];
  for (let b = 0, i = 0; b < Math.min(max, n); b++) {
    out.push(sorted[i]);
    i += size + (b < extra ? 1 : 0);
  }
  const last = sorted[n - 1];
  if (out[out.length - 1] !== last) {
    if (out.length >= max) out[out.length - 1] = last;
    else out.push(last);
  }
  return out;
}

// A point of the bulk endpoints: MLflow sends only these five fields there (no dataset or model).
function bulkPoint(m: Metric, runId: string): Record<string, unknown> {
  return {
    key: m.key,
    value: encodeDouble(m.value),
    timestamp: m.timestamp,
    step: m.step,
    run_id: runId,
  };
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
    // Built as text: a page holds up to 25,000+ points (message() would drop the same fields).
    const fields: string[] = [];
    if (page.items.length > 0) fields.push(`"metrics":${encodeMetricsJson(page.items)}`);
    if (page.nextPageToken !== undefined) {
      fields.push(`"next_page_token":${JSON.stringify(page.nextPageToken)}`);
    }
    return jsonTextResponse(`{${fields.join(",")}}`);
  });

  // One history read per run (≤ 100): the store has no bulk read. Sampled per run as MLflow's
  // SQL store does (its FileStore still samples shared steps across runs).
  endpoint(r, ctx, ["GET"], "metrics/get-history-bulk-interval", async (q) => {
    const runIds: string[] = q.runIds;
    if (runIds.length > MAX_BULK_RUNS) {
      throw invalidParam(
        `GetMetricHistoryBulkInterval request must specify at most ${MAX_BULK_RUNS} run_ids. ` +
          `Received ${runIds.length} run_ids.${DOCS}`,
      );
    }
    const max = q.maxResults ?? MAX_RESULTS_PER_RUN;
    if (max < 1 || max > MAX_RESULTS_PER_RUN) {
      throw invalidParam(`max_results must be between 1 and ${MAX_RESULTS_PER_RUN}.${DOCS}`);
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
    const out: Record<string, unknown>[] = [];
    histories.forEach((h, i) => {
      const inRange = startStep === undefined
        ? h
        : h.filter((m) => m.step >= startStep && m.step <= endStep);
      for (const m of sampleRun(inRange, max)) out.push(bulkPoint(m, runIds[i]));
    });
    return message({ metrics: out });
  });

  endpoint(r, ctx, ["GET"], "metrics/get-history-bulk", async (q) => {
    const runIds: string[] = q.runIds ?? [];
    if (runIds.length === 0) {
      throw invalidParam("GetMetricHistoryBulk request must specify at least one run_id.");
    }
    if (runIds.length > MAX_BULK_RUNS) {
      throw invalidParam(
        `GetMetricHistoryBulk request cannot specify more than ${MAX_BULK_RUNS} run_ids. ` +
          `Received ${runIds.length} run_ids.`,
      );
    }
    // An empty key is refused too (MLflow answers no points for it).
    if (!q.metricKey) throw invalidParam("GetMetricHistoryBulk request must specify a metric_key.");
    // MLflow slices with the raw value (0 answers nothing, -1 drops the last point); refuse both.
    if (q.maxResults !== undefined && q.maxResults <= 0) {
      throw invalidParam(
        `Invalid value ${q.maxResults} for parameter 'max_results' supplied. ` +
          "It must be a positive integer.",
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
      for (const m of ms.slice(0, max)) out.push(bulkPoint(m, sorted[i]));
    });
    return { metrics: out.slice(0, max) };
  });

  return r;
}
