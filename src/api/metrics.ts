/** Metric history endpoints: paged history, the UI's bulk history and its sampled interval view. */
import { Hono } from "hono";
import { invalidParam } from "../errors.ts";
import type { Metric } from "../model.ts";
import { validateRunId } from "../validate.ts";
import { type ApiContext, endpoint } from "./context.ts";
import {
  byStepTime,
  earliestJson,
  HistoryColumns,
  historyPageJson,
  ntilePositions,
  ordered,
  sampledJson,
  ScanLimiter,
} from "./history_scan.ts";
import { jsonTextResponse } from "./wire.ts";

/** Most run ids one bulk request may name. */
export const MAX_BULK_RUNS = 100;
/** Most points per run of `get-history-bulk-interval`. */
export const MAX_RESULTS_PER_RUN = 2500;
const DOCS = " See the API docs for more information about request parameters.";

/** Most points of `get-history-bulk`. */
export const MAX_BULK_HISTORY = 25000;
/** Points of one `get-history` page when the request names no `max_results` (MLflow's client
 * asks for this many and follows `next_page_token`; MLflow's server sends every point). */
export const DEFAULT_HISTORY_PAGE = 25_000;

// Each run once, in first-mention order: a run named 100 times is read once, not 100 times.
function uniqueRunIds(runIds: string[]): string[] {
  return [...new Set(runIds.map(validateRunId))];
}

/**
 * MLflow 3.17's SQL sampling of one run's points (history_scan.ts's ntilePositions over the
 * points ordered by step, timestamp, value). Bounded by rows, not steps.
 */
export function sampleRun(points: Metric[], max: number): Metric[] {
  const cols = new HistoryColumns(points[0]?.key ?? "");
  for (const m of points) cols.push(m);
  const order = ordered(cols, byStepTime);
  return ntilePositions(cols.n, max).map((p) => points[order[p]]);
}

/** Routes of `metrics/*`. */
export function metricRoutes(ctx: ApiContext): Hono {
  const r = new Hono();
  const store = ctx.store;
  // Whole-history scans and large pages: one at a time per server (history_scan.ts).
  const scans = new ScanLimiter();

  endpoint(r, ctx, ["GET"], "metrics/get-history", async (q) => {
    // Omitted max_results means pages of DEFAULT_HISTORY_PAGE with a next_page_token (MLflow's
    // server sends every point, tens of MB for a long run; its client pages anyway).
    if (q.maxResults !== undefined && q.maxResults <= 0) {
      throw invalidParam(
        `Invalid value ${q.maxResults} for parameter 'max_results' supplied. ` +
          "It must be a positive integer.",
      );
    }
    const runId = validateRunId(q.runId);
    const max = q.maxResults ?? DEFAULT_HISTORY_PAGE;
    const page = await scans.run(() =>
      historyPageJson(store, runId, q.metricKey, max, q.pageToken || undefined)
    );
    // Built as text: a page holds up to 25,000+ points (message() would drop the same fields).
    const fields: string[] = [];
    if (page.text) fields.push(`"metrics":[${page.text}]`);
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
    const keep = startStep === undefined
      ? undefined
      : (m: Metric) => m.step >= startStep && m.step <= endStep;
    const query = { store, runIds: uniqueRunIds(runIds), key: q.metricKey, max, scans };
    const text = await sampledJson(query, keep);
    return jsonTextResponse(text === "[]" ? "{}" : `{"metrics":${text}}`);
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
    const runs = uniqueRunIds(runIds).sort();
    const text = await earliestJson({ store, runIds: runs, key: q.metricKey, max, scans });
    return jsonTextResponse(`{"metrics":${text}}`);
  });

  return r;
}
