/**
 * MLflow 3's logged-model endpoints under the tracking prefixes: create, get, finalize, delete,
 * search, tags, params and the artifact listing (`logged-models/…`), plus the UI's file download
 * (ajax prefix only). Requests decode as MLflow's handlers do (absent model_type and
 * source_run_id are stored as "", an empty name draws a random one).
 */
import { type Context, Hono } from "hono";
import { LOGGED_MODEL_STATUSES, type LoggedModelStatus } from "../model.ts";
import type { LoggedModelOrderBy } from "../store/store.ts";
import { downloadUnderRoot, listUnderRoot } from "./artifacts.ts";
import { HttpError } from "./body.ts";
import { type ApiContext, readRequest } from "./context.ts";
import { validatePath } from "./paths.ts";
import { type Decoded, jsonResponse, message } from "./wire.ts";
import {
  encodeLoggedModel,
  LOGGED_MODEL_ROUTES,
  LOGGED_MODEL_STATUS_ENUM,
} from "./wire_logged_models.ts";

function tagsOf(list: Decoded[] | undefined): { key: string; value: string }[] {
  return (list ?? []).map((t) => ({ key: t.key, value: t.value ?? "" }));
}

function statusOf(name: string): LoggedModelStatus {
  const n = LOGGED_MODEL_STATUS_ENUM.enum[name as keyof typeof LOGGED_MODEL_STATUS_ENUM.enum];
  return LOGGED_MODEL_STATUSES[n];
}

/**
 * Registers the route of schema `name` (LOGGED_MODEL_ROUTES), decoded with the path's parameters
 * filled in; returns its path.
 */
function route(
  r: Hono,
  ctx: ApiContext,
  name: keyof typeof LOGGED_MODEL_ROUTES,
  handle: (q: Decoded, c: Context) => Promise<Record<string, unknown> | Response>,
): string {
  const [method, path] = LOGGED_MODEL_ROUTES[name];
  r.on(method, path, async (c) => {
    const q = await readRequest(c, ctx, name, c.req.param() as Record<string, string>);
    const out = await handle(q, c);
    return out instanceof Response ? out : jsonResponse(out);
  });
  return path;
}

function notAllowed(r: Hono, path: string, name: string): void {
  r.all(path, () => {
    throw new HttpError("BAD_REQUEST", `Method not allowed for endpoint '${name}'`, 405);
  });
}

/** Routes of `logged-models/*` (mounted under both API prefixes). */
export function loggedModelRoutes(ctx: ApiContext): Hono {
  const r = new Hono();
  const store = ctx.store;
  route(r, ctx, "logged-models/search", async (q) => {
    const orderBy: LoggedModelOrderBy[] = (q.orderBy ?? []).map((o: Decoded) => ({
      fieldName: o.fieldName,
      ascending: o.ascending ?? true,
      datasetName: o.datasetName || undefined,
      datasetDigest: o.datasetDigest || undefined,
    }));
    const page = await store.searchLoggedModels({
      experimentIds: q.experimentIds,
      filter: q.filter || undefined,
      datasets: (q.datasets ?? []).map((d: Decoded) => ({
        datasetName: d.datasetName,
        datasetDigest: d.datasetDigest || undefined,
      })),
      maxResults: q.maxResults || undefined,
      orderBy,
      pageToken: q.pageToken || undefined,
    });
    return message({
      models: page.items.map(encodeLoggedModel),
      next_page_token: page.nextPageToken,
    });
  });
  // Other methods on `…/search` reach the `…/:model_id` routes below, as in MLflow's router.

  const create = route(r, ctx, "logged-models/create", async (q) => {
    const model = await store.createLoggedModel({
      experimentId: q.experimentId,
      name: q.name || undefined,
      // MLflow's handler passes the proto's "" for an absent type or run, and stores it.
      modelType: q.modelType ?? "",
      sourceRunId: q.sourceRunId ?? "",
      params: tagsOf(q.params),
      tags: tagsOf(q.tags),
    });
    return { model: encodeLoggedModel(model) };
  });
  notAllowed(r, create, "logged-models");

  route(r, ctx, "logged-models/get", async (q, c) => {
    const allow = c.req.query("allow_deleted");
    const model = await store.getLoggedModel(q.modelId, {
      allowDeleted: allow?.toLowerCase() === "true",
    });
    return { model: encodeLoggedModel(model) };
  });
  route(r, ctx, "logged-models/finalize", async (q) => {
    const model = await store.finalizeLoggedModel(q.modelId, statusOf(q.status));
    return { model: encodeLoggedModel(model) };
  });
  const model = route(r, ctx, "logged-models/delete", async (q) => {
    await store.deleteLoggedModel(q.modelId);
    return {};
  });
  notAllowed(r, model, "logged-models/{model_id}");

  const tags = route(r, ctx, "logged-models/set-tags", async (q) => {
    await store.setLoggedModelTags(q.modelId, tagsOf(q.tags));
    return {};
  });
  notAllowed(r, tags, "logged-models/{model_id}/tags");

  const tag = route(r, ctx, "logged-models/delete-tag", async (q) => {
    await store.deleteLoggedModelTag(q.modelId, q.tagKey);
    return {};
  });
  notAllowed(r, tag, "logged-models/{model_id}/tags/{tag_key}");

  const params = route(r, ctx, "logged-models/params", async (q) => {
    await store.logLoggedModelParams(q.modelId, tagsOf(q.params));
    return {};
  });
  notAllowed(r, params, "logged-models/{model_id}/params");

  const dirs = route(r, ctx, "logged-models/artifacts/directories", async (q) => {
    if (q.artifactDirectoryPath !== undefined) validatePath(q.artifactDirectoryPath, 0);
    const model = await store.getLoggedModel(q.modelId);
    return await listUnderRoot(model.artifactLocation, q.artifactDirectoryPath, ctx);
  });
  notAllowed(r, dirs, "logged-models/{model_id}/artifacts/directories");
  return r;
}

/** `GET logged-models/<id>/artifacts/files?artifact_file_path=…`: the UI's file download. */
export function loggedModelFileRoutes(ctx: ApiContext): Hono {
  const r = new Hono();
  r.get("/logged-models/:model_id/artifacts/files", async (c) => {
    const path = c.req.query("artifact_file_path");
    if (!path) {
      throw new HttpError(
        "BAD_REQUEST",
        'Request must include the "artifact_file_path" query parameter.',
        400,
      );
    }
    validatePath(path, 0);
    const model = await ctx.store.getLoggedModel(c.req.param("model_id"));
    return await downloadUnderRoot(model.artifactLocation, path, ctx);
  });
  return r;
}
