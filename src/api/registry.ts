/**
 * Registered model endpoints (`registered-models/*`): create, get, rename, update, delete,
 * search, get-latest-versions, tags and aliases, over the server's ModelRegistryStore. Absent
 * optional strings reach the store as "", as MLflow's proto defaults do.
 */
import { type Context, Hono } from "hono";
import { invalidParam } from "../errors.ts";
import type { Page, Tag } from "../model.ts";
import type { ModelRegistryStore, RegistrySearchRequest } from "../store/registry.ts";
import { HttpError } from "./body.ts";
import { type ApiContext, endpoint, readRequest } from "./context.ts";
import { encodeModelVersion, encodeRegisteredModel } from "./registry_encode.ts";
import { type Decoded, type Endpoint, jsonResponse, message } from "./wire.ts";

/** The registry of a context that has one (routes are mounted only then). */
export function registryOf(ctx: ApiContext): ModelRegistryStore {
  if (!ctx.registry) throw new Error("registry routes mounted without a registry");
  return ctx.registry;
}

/** Tags of a request, with MLflow's "" for an absent value. */
export function requestTags(q: Decoded): Tag[] {
  return (q.tags ?? []).map((t: Tag) => ({ key: t.key, value: t.value ?? "" }));
}

/**
 * MLflow's handler-level cap on `max_results` of the registry searches (GET only, so the value
 * arrived as text), with its message.
 */
export function capMaxResults(q: Decoded, limit: number): number | undefined {
  if (q.maxResults !== undefined && q.maxResults > limit) {
    throw invalidParam(
      `Invalid value ${JSON.stringify(String(q.maxResults))} for parameter 'max_results' ` +
        "supplied:  Hint: Value was of type 'str'. See the API docs for more information about " +
        "request parameters.",
    );
  }
  return q.maxResults;
}

/**
 * A registry search (GET): MLflow's handler cap on `max_results`, then one page of the store's
 * answer under `key`, with `next_page_token`.
 */
export function searchEndpoint<T>(
  r: Hono,
  ctx: ApiContext,
  name: Endpoint,
  limit: number,
  key: string,
  search: (req: RegistrySearchRequest) => Promise<Page<T>>,
  encode: (item: T) => Record<string, unknown>,
): void {
  endpoint(r, ctx, ["GET"], name, async (q) => {
    const page = await search({
      filter: q.filter || undefined,
      maxResults: capMaxResults(q, limit),
      orderBy: q.orderBy,
      pageToken: q.pageToken || undefined,
    });
    return message({ [key]: page.items.map(encode), next_page_token: page.nextPageToken });
  });
}

/** Routes of `registered-models/*`. */
export function registeredModelRoutes(ctx: ApiContext): Hono {
  const r = new Hono();
  const reg = registryOf(ctx);
  const model = (m: Awaited<ReturnType<ModelRegistryStore["getRegisteredModel"]>>) => ({
    registered_model: encodeRegisteredModel(m),
  });

  endpoint(r, ctx, ["POST"], "registered-models/create", async (q) => {
    return model(await reg.createRegisteredModel(q.name, requestTags(q), q.description ?? ""));
  });

  endpoint(r, ctx, ["GET"], "registered-models/get", async (q) => {
    return model(await reg.getRegisteredModel(q.name));
  });

  endpoint(r, ctx, ["POST"], "registered-models/rename", async (q) => {
    return model(await reg.renameRegisteredModel(q.name, q.newName));
  });

  endpoint(r, ctx, ["PATCH"], "registered-models/update", async (q) => {
    return model(await reg.updateRegisteredModel(q.name, q.description ?? ""));
  });

  endpoint(r, ctx, ["DELETE"], "registered-models/delete", async (q) => {
    await reg.deleteRegisteredModel(q.name);
    return {};
  });

  searchEndpoint(
    r,
    ctx,
    "registered-models/search",
    1000,
    "registered_models",
    (req) => reg.searchRegisteredModels(req),
    encodeRegisteredModel,
  );

  endpoint(r, ctx, ["POST", "GET"], "registered-models/get-latest-versions", async (q) => {
    const versions = await reg.getLatestVersions(q.name, q.stages);
    return message({ model_versions: versions.map(encodeModelVersion) });
  });

  endpoint(r, ctx, ["POST"], "registered-models/set-tag", async (q) => {
    await reg.setRegisteredModelTag(q.name, { key: q.key, value: q.value ?? "" });
    return {};
  });

  endpoint(r, ctx, ["DELETE"], "registered-models/delete-tag", async (q) => {
    await reg.deleteRegisteredModelTag(q.name, q.key);
    return {};
  });

  // One path, three methods, three request schemas.
  const alias =
    (schema: Endpoint, handle: (q: Decoded) => Promise<Record<string, unknown>>) =>
    async (c: Context) => jsonResponse(await handle(await readRequest(c, ctx, schema)));
  const path = "/registered-models/alias";
  r.post(
    path,
    alias("registered-models/alias", async (q) => {
      await reg.setRegisteredModelAlias(q.name, q.alias, q.version);
      return {};
    }),
  );
  r.delete(
    path,
    alias("registered-models/alias#DELETE", async (q) => {
      await reg.deleteRegisteredModelAlias(q.name, q.alias);
      return {};
    }),
  );
  r.get(
    path,
    alias("registered-models/alias#GET", async (q) => ({
      model_version: encodeModelVersion(await reg.getModelVersionByAlias(q.name, q.alias)),
    })),
  );
  r.all(path, () => {
    throw new HttpError(
      "BAD_REQUEST",
      "Method not allowed for endpoint 'registered-models/alias'",
      405,
    );
  });
  return r;
}
