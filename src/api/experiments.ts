/** Experiment endpoints: create, get, get-by-name, search, update, delete, restore, tags. */
import { Hono } from "hono";
import { notFound } from "../errors.ts";
import type { Tag } from "../model.ts";
import { validateExperimentId, validateExperimentName, validateMaxResults } from "../validate.ts";
import { checkArtifactLocation } from "./artifact_roots.ts";
import { type ApiContext, endpoint } from "./context.ts";
import { type Decoded, encodeExperiment, message, viewType } from "./wire.ts";

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
