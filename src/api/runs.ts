/** Run endpoints: create, get, update, delete, restore, search, and logging params/metrics/tags. */
import { Hono } from "hono";
import { invalidParam } from "../errors.ts";
import type { DatasetInput, Metric, Param, Tag } from "../model.ts";
import { validateExperimentId, validateMaxResults, validateRunId } from "../validate.ts";
import { type ApiContext, endpoint } from "./context.ts";
import { DEFAULT_MAX_RESULTS } from "./experiments.ts";
import { type Decoded, encodeRun, encodeRunInfo, message, runStatus, viewType } from "./wire.ts";

const LOG_MODEL_HISTORY = "mlflow.log-model.history";

function tagsOf(list: Decoded[] | undefined): Tag[] {
  return (list ?? []).map((t) => ({ key: t.key, value: t.value ?? "" }));
}

function metricOf(m: Decoded, runId?: string): Metric {
  const out: Metric = { key: m.key, value: m.value, timestamp: m.timestamp, step: m.step ?? 0 };
  if (m.modelId) out.modelId = m.modelId;
  if (m.datasetName) out.datasetName = m.datasetName;
  if (m.datasetDigest) out.datasetDigest = m.datasetDigest;
  if (runId) out.runId = runId;
  return out;
}

/** Routes of `runs/*`. */
export function runRoutes(ctx: ApiContext): Hono {
  const r = new Hono();
  const store = ctx.store;
  const runId = (q: Decoded) => validateRunId(q.runId);

  endpoint(r, ctx, ["POST"], "runs/create", async (q) => {
    const run = await store.createRun({
      experimentId: q.experimentId ? validateExperimentId(q.experimentId) : undefined,
      userId: q.userId,
      runName: q.runName || undefined,
      startTime: q.startTime,
      tags: tagsOf(q.tags),
    });
    return { run: encodeRun(run) };
  });

  endpoint(r, ctx, ["POST"], "runs/update", async (q) => {
    const info = await store.updateRun({
      runId: runId(q),
      status: runStatus(q.status),
      endTime: q.endTime,
      runName: q.runName,
    });
    return { run_info: encodeRunInfo(info) };
  });

  endpoint(r, ctx, ["POST"], "runs/delete", async (q) => {
    await store.deleteRun(runId(q));
    return {};
  });

  endpoint(r, ctx, ["POST"], "runs/restore", async (q) => {
    await store.restoreRun(runId(q));
    return {};
  });

  endpoint(r, ctx, ["GET"], "runs/get", async (q) => {
    return { run: encodeRun(await store.getRun(runId(q))) };
  });

  endpoint(r, ctx, ["POST", "GET"], "runs/search", async (q) => {
    const page = await store.searchRuns({
      experimentIds: (q.experimentIds ?? []).map(validateExperimentId),
      filter: q.filter || undefined,
      viewType: viewType(q.viewType),
      maxResults: validateMaxResults(q.maxResults ?? DEFAULT_MAX_RESULTS),
      orderBy: q.orderBy,
      pageToken: q.pageToken || undefined,
    });
    return message({ runs: page.items.map(encodeRun), next_page_token: page.nextPageToken });
  });

  endpoint(r, ctx, ["POST"], "runs/log-metric", async (q) => {
    const id = runId(q);
    await store.logMetric(id, metricOf(q, id));
    return {};
  });

  endpoint(r, ctx, ["POST"], "runs/log-parameter", async (q) => {
    await store.logParam(runId(q), { key: q.key, value: q.value ?? "" });
    return {};
  });

  endpoint(r, ctx, ["POST"], "runs/set-tag", async (q) => {
    await store.setTag(runId(q), { key: q.key, value: q.value ?? "" });
    return {};
  });

  endpoint(r, ctx, ["POST"], "runs/delete-tag", async (q) => {
    await store.deleteTag(runId(q), q.key);
    return {};
  });

  endpoint(r, ctx, ["POST"], "runs/log-batch", async (q) => {
    const id = runId(q);
    const params: Param[] = tagsOf(q.params);
    await store.logBatch(id, {
      metrics: (q.metrics ?? []).map((m: Decoded) => metricOf(m, id)),
      params,
      tags: tagsOf(q.tags),
    });
    return {};
  });

  endpoint(r, ctx, ["POST"], "runs/log-inputs", async (q) => {
    const datasets: DatasetInput[] = (q.datasets ?? []).map((d: Decoded) => ({
      tags: tagsOf(d.tags),
      dataset: {
        name: d.dataset.name,
        digest: d.dataset.digest,
        sourceType: d.dataset.sourceType,
        source: d.dataset.source,
        ...(d.dataset.schema ? { schema: d.dataset.schema } : {}),
        ...(d.dataset.profile ? { profile: d.dataset.profile } : {}),
      },
    }));
    const models = (q.models ?? []).map((m: Decoded) => ({ modelId: m.modelId }));
    await store.logInputs(runId(q), datasets, models);
    return {};
  });

  endpoint(r, ctx, ["POST"], "runs/outputs", async (q) => {
    const models = q.models.map((m: Decoded) => ({ modelId: m.modelId, step: m.step ?? 0 }));
    await store.logOutputs(runId(q), models);
    return {};
  });

  // The pre-3.0 model log: appends the model's JSON to a run tag (two store calls: read, then set).
  endpoint(r, ctx, ["POST"], "runs/log-model", async (q) => {
    const id = runId(q);
    let model: unknown;
    try {
      model = JSON.parse(q.modelJson);
    } catch {
      throw invalidParam(`Malformed model info. \n ${q.modelJson} \n is not a valid JSON.`);
    }
    const required = ["artifact_path", "flavors", "utc_time_created", "run_id"];
    const absent = required.filter((k) => !(model && typeof model === "object" && k in model));
    if (absent.length || Array.isArray(model)) {
      throw invalidParam(`Model json is missing mandatory fields: ${JSON.stringify(absent)}`);
    }
    const run = await store.getRun(id);
    const prev = run.data.tags.find((t) => t.key === LOG_MODEL_HISTORY)?.value;
    let history: unknown[] = [];
    try {
      history = prev ? JSON.parse(prev) : [];
    } catch { /* a corrupt history restarts */ }
    if (!Array.isArray(history)) history = [];
    history.push(model);
    await store.setTag(id, { key: LOG_MODEL_HISTORY, value: JSON.stringify(history) });
    return {};
  });

  return r;
}
