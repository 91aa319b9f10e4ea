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
import { type Decoded, type Endpoint, jsonResponse, message } from "./wire.ts";
import { encodeLoggedModel, LOGGED_MODEL_STATUS_ENUM } from "./wire_logged_models.ts";

type Method = "GET" | "POST" | "PATCH" | "DELETE";

function tagsOf(list: Decoded[] | undefined): { key: string; value: string }[] {
  return (list ?? []).map((t) => ({ key: t.key, value: t.value ?? "" }));
}

function statusOf(name: string): LoggedModelStatus {
  const n = LOGGED_MODEL_STATUS_ENUM.enum[name as keyof typeof LOGGED_MODEL_STATUS_ENUM.enum];
  return LOGGED_MODEL_STATUSES[n];
}

/**
 * Registers one route: `path` (hono syntax, with `:model_id`) decoded with the schema `name`,
 * the path's parameters filled in; other methods on the path answer 405.
 */
function route(
  r: Hono,
  ctx: ApiContext,
  methods: Method[],
  path: string,
  name: Endpoint,
  handle: (q: Decoded, c: Context) => Promise<Record<string, unknown> | Response>,
): void {
  for (const m of methods) {
    r.on(m, path, async (c) => {
      const q = await readRequest(c, ctx, name, c.req.param() as Record<string, string>);
      const out = await handle(q, c);
      return out instanceof Response ? out : jsonResponse(out);
    });
  }
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
  const MODEL = "/logged-models/:model_id";

  route(r, ctx, ["POST"], "/logged-models/search", "logged-models/search", async (q) => {
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

  route(r, ctx, ["POST"], "/logged-models", "logged-models/create", async (q) => {
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
  notAllowed(r, "/logged-models", "logged-models");

  route(r, ctx, ["GET"], MODEL, "logged-models/get", async (q, c) => {
    const allow = c.req.query("allow_deleted");
    const model = await store.getLoggedModel(q.modelId, {
      allowDeleted: allow?.toLowerCase() === "true",
    });
    return { model: encodeLoggedModel(model) };
  });
  route(r, ctx, ["PATCH"], MODEL, "logged-models/finalize", async (q) => {
    const model = await store.finalizeLoggedModel(q.modelId, statusOf(q.status));
    return { model: encodeLoggedModel(model) };
  });
  route(r, ctx, ["DELETE"], MODEL, "logged-models/delete", async (q) => {
    await store.deleteLoggedModel(q.modelId);
    return {};
  });
  notAllowed(r, MODEL, "logged-models/{model_id}");

  route(r, ctx, ["PATCH"], `${MODEL}/tags`, "logged-models/set-tags", async (q) => {
    await store.setLoggedModelTags(q.modelId, tagsOf(q.tags));
    return {};
  });
  notAllowed(r, `${MODEL}/tags`, "logged-models/{model_id}/tags");

  // Tag keys may hold "/" (nested keys), so the key is the rest of the path.
  const tagPath = `${MODEL}/tags/:tag_key{.+}`;
  route(r, ctx, ["DELETE"], tagPath, "logged-models/delete-tag", async (q) => {
    await store.deleteLoggedModelTag(q.modelId, q.tagKey);
    return {};
  });
  notAllowed(r, tagPath, "logged-models/{model_id}/tags/{tag_key}");

  route(r, ctx, ["POST"], `${MODEL}/params`, "logged-models/params", async (q) => {
    await store.logLoggedModelParams(q.modelId, tagsOf(q.params));
    return {};
  });
  notAllowed(r, `${MODEL}/params`, "logged-models/{model_id}/params");

  const dirs = `${MODEL}/artifacts/directories`;
  route(r, ctx, ["GET"], dirs, "logged-models/artifacts/directories", async (q) => {
    if (q.artifactDirectoryPath !== undefined) validatePath(q.artifactDirectoryPath);
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
    validatePath(path);
    const model = await ctx.store.getLoggedModel(c.req.param("model_id"));
    return await downloadUnderRoot(model.artifactLocation, path, ctx);
  });
  return r;
}
