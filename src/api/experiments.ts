/** Experiment endpoints: create, get, get-by-name, search, update, delete, restore, tags. */
import { Hono } from "hono";
import { invalidParam, MltError, notFound } from "../errors.ts";
import type { Experiment, Tag } from "../model.ts";
import { validateExperimentId, validateExperimentName, validateMaxResults } from "../validate.ts";
import { checkArtifactLocation } from "./artifact_roots.ts";
import { type ApiContext, endpoint } from "./context.ts";
import { type Decoded, encodeExperiment, message, viewType } from "./wire.ts";

/** Most experiment ids of one `experiments/search-datasets` request. */
export const MAX_DATASET_EXPERIMENTS = 20;
/** Most summaries `experiments/search-datasets` answers. */
export const MAX_DATASET_SUMMARIES = 1000;

/** `max_results` when a search omits it (MLflow rejects the omission; its clients send 1000). */
export const DEFAULT_MAX_RESULTS = 1000;

/** Routes of `experiments/*`. */
export function experimentRoutes(ctx: ApiContext): Hono {
  const r = new Hono();
  const store = ctx.store;
  const expId = (q: Decoded) => validateExperimentId(q.experimentId);

  endpoint(r, ctx, ["POST"], "experiments/create", async (q) => {
    const name = validateExperimentName(q.name);
    const location = q.artifactLocation
      ? checkArtifactLocation(q.artifactLocation, ctx)
      : undefined;
    const tags = (q.tags ?? []).map((t: Tag) => ({ key: t.key, value: t.value ?? "" }));
    return { experiment_id: await store.createExperiment(name, location, tags) };
  });

  endpoint(r, ctx, ["GET"], "experiments/get", async (q) => {
    return { experiment: encodeExperiment(await store.getExperiment(expId(q))) };
  });

  endpoint(r, ctx, ["GET"], "experiments/get-by-name", async (q) => {
    const exp = await store.getExperimentByName(q.experimentName);
    if (!exp) throw notFound(`Could not find experiment with name '${q.experimentName}'`);
    return { experiment: encodeExperiment(exp) };
  });

  endpoint(r, ctx, ["POST", "GET"], "experiments/search", async (q) => {
    const page = await store.searchExperiments({
      filter: q.filter || undefined,
      viewType: viewType(q.viewType),
      maxResults: validateMaxResults(q.maxResults ?? DEFAULT_MAX_RESULTS),
      orderBy: q.orderBy,
      pageToken: q.pageToken || undefined,
    });
    return message({
      experiments: page.items.map(encodeExperiment),
      next_page_token: page.nextPageToken,
    });
  });

  endpoint(r, ctx, ["POST"], "experiments/delete", async (q) => {
    await store.deleteExperiment(expId(q));
    return {};
  });

  endpoint(r, ctx, ["POST"], "experiments/restore", async (q) => {
    await store.restoreExperiment(expId(q));
    return {};
  });

  endpoint(r, ctx, ["POST"], "experiments/update", async (q) => {
    await store.renameExperiment(expId(q), validateExperimentName(q.newName));
    return {};
  });

  endpoint(r, ctx, ["POST"], "experiments/set-experiment-tag", async (q) => {
    await store.setExperimentTag(expId(q), { key: q.key, value: q.value ?? "" });
    return {};
  });

  endpoint(r, ctx, ["POST"], "experiments/delete-experiment-tag", async (q) => {
    await store.deleteExperimentTag(expId(q), q.key);
    return {};
  });

  return r;
}

/**
 * `experiments/search-datasets` (ajax-api only, for the UI): the distinct (experiment, dataset
 * name, digest, context) of every run input in up to 20 experiments, deleted runs included as in
 * MLflow's SQL store; unknown experiments add nothing. Read through searchRuns, page by page.
 */
export function searchDatasetsRoutes(ctx: ApiContext): Hono {
  const r = new Hono();
  endpoint(r, ctx, ["POST"], "experiments/search-datasets", async (q) => {
    const ids: string[] = q.experimentIds ?? [];
    if (ids.length === 0) {
      throw invalidParam("SearchDatasets request must specify at least one experiment_id.");
    }
    if (ids.length > MAX_DATASET_EXPERIMENTS) {
      throw invalidParam(
        `SearchDatasets request cannot specify more than ${MAX_DATASET_EXPERIMENTS} ` +
          `experiment_ids. Received ${ids.length} experiment_ids.`,
      );
    }
    const known: string[] = [];
    for (const id of new Set(ids.map(validateExperimentId))) {
      const exp: Experiment | undefined = await ctx.store.getExperiment(id).catch((e) => {
        if (e instanceof MltError && e.code === "RESOURCE_DOES_NOT_EXIST") return undefined;
        throw e;
      });
      if (exp) known.push(exp.experimentId);
    }
    const seen = new Set<string>();
    const summaries: Record<string, unknown>[] = [];
    let pageToken: string | undefined;
    while (known.length && summaries.length < MAX_DATASET_SUMMARIES) {
      const page = await ctx.store.searchRuns({
        experimentIds: known,
        viewType: "ALL",
        maxResults: 50000,
        pageToken,
      });
      for (const run of page.items) {
        for (const input of run.inputs?.datasetInputs ?? []) {
          const context = input.tags.find((t) => t.key === "mlflow.data.context")?.value;
          const key = JSON.stringify([
            run.info.experimentId,
            input.dataset.name,
            input.dataset.digest,
            context,
          ]);
          if (seen.has(key) || summaries.length >= MAX_DATASET_SUMMARIES) continue;
          seen.add(key);
          summaries.push(message({
            experiment_id: run.info.experimentId,
            name: input.dataset.name,
            digest: input.dataset.digest,
            context,
          }));
        }
      }
      pageToken = page.nextPageToken;
      if (!pageToken) break;
    }
    return message({ dataset_summaries: summaries });
  });
  return r;
}
