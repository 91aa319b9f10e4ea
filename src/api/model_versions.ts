/**
 * Model version endpoints (`model-versions/*`): create (with MLflow's source checks,
 * registry_source.ts), get, update, transition-stage, delete, search, get-download-uri, tags,
 * and `GET /model-versions/get-artifact`, which serves a file of a version from the artifact
 * proxy or an allowed local root only.
 */
import { type Context, Hono } from "hono";
import { invalidParam } from "../errors.ts";
import { isPromptTags, type ModelVersion } from "../registry_model.ts";
import { versionArtifactUri } from "../store/registry_download.ts";
import { loggedModelLink, recordModelVersion } from "../store/registry_links.ts";
import { download } from "./artifacts.ts";
import { servedArtifacts, under } from "./served_artifacts.ts";
import { type ApiContext, endpoint, readRequest } from "./context.ts";
import { validatePath } from "./paths.ts";
import { registryOf, requestTags, searchEndpoint } from "./registry.ts";
import { encodeModelVersion } from "./registry_encode.ts";
import {
  checkModelSource,
  checkNotHostAddressed,
  checkRunSource,
  type Lineage,
  resolveLineage,
} from "./registry_source.ts";
import type { Decoded } from "./wire.ts";

const PROMPT_SOURCES = new Set(["dummy-source", "prompt-template"]);

async function createVersion(ctx: ApiContext, q: Decoded): Promise<ModelVersion> {
  const reg = registryOf(ctx);
  const tags = requestTags(q);
  const prompt = isPromptTags(tags);
  if (prompt && !PROMPT_SOURCES.has(q.source)) {
    throw invalidParam(
      `Invalid prompt source: '${q.source}'. Prompt sources must use an MLflow placeholder.`,
    );
  }
  checkNotHostAddressed(q.source);
  // Absent strings are "" (proto defaults), unless a models:/ source supplies them.
  let l: Lineage = { source: q.source, runId: q.runId, modelId: q.modelId };
  let storageLocation: string | undefined;
  if (!prompt) {
    const resolved = await resolveLineage(reg, l);
    // Not a registered model source: what the request left out is "" (proto defaults).
    l = resolved === l ? { ...l, runId: l.runId ?? "", modelId: l.modelId ?? "" } : resolved;
    if (l.modelId) await checkModelSource(ctx.store, l.source, l.modelId);
    else await checkRunSource(ctx.store, l.source, l.runId);
    // What MLflow's registry store looks up itself: a logged model's files and source run.
    const link = await loggedModelLink(ctx.store, l.source, l.runId, l.modelId);
    storageLocation = link.storageLocation;
    l.runId = link.runId;
  }
  const v = await reg.createModelVersion({
    name: q.name,
    source: l.source,
    runId: l.runId ?? (prompt ? "" : undefined),
    tags,
    runLink: q.runLink ?? "",
    description: q.description ?? "",
    modelId: l.modelId ?? (prompt ? "" : undefined),
    storageLocation,
  });
  if (!prompt && l.modelId) await recordModelVersion(ctx.store, l.modelId, v.name, v.version);
  return v;
}

/** Routes of `model-versions/*` (get-artifact is mounted apart, under the static prefix). */
export function modelVersionRoutes(ctx: ApiContext): Hono {
  const r = new Hono();
  const reg = registryOf(ctx);
  const version = (v: ModelVersion) => ({ model_version: encodeModelVersion(v) });

  endpoint(r, ctx, ["POST"], "model-versions/create", async (q) => {
    return version(await createVersion(ctx, q));
  });

  endpoint(r, ctx, ["GET"], "model-versions/get", async (q) => {
    return version(await reg.getModelVersion(q.name, q.version));
  });

  endpoint(r, ctx, ["PATCH"], "model-versions/update", async (q) => {
    return version(await reg.updateModelVersion(q.name, q.version, q.description));
  });

  endpoint(r, ctx, ["POST"], "model-versions/transition-stage", async (q) => {
    return version(
      await reg.transitionModelVersionStage(
        q.name,
        q.version,
        q.stage,
        q.archiveExistingVersions ?? false,
      ),
    );
  });

  endpoint(r, ctx, ["DELETE"], "model-versions/delete", async (q) => {
    await reg.deleteModelVersion(q.name, q.version);
    return {};
  });

  endpoint(r, ctx, ["GET"], "model-versions/get-download-uri", async (q) => {
    return { artifact_uri: await reg.getModelVersionDownloadUri(q.name ?? "", q.version ?? "") };
  });

  searchEndpoint(
    r,
    ctx,
    "model-versions/search",
    200_000,
    "model_versions",
    (req) => reg.searchModelVersions(req),
    encodeModelVersion,
  );

  endpoint(r, ctx, ["POST"], "model-versions/set-tag", async (q) => {
    await reg.setModelVersionTag(q.name, q.version, { key: q.key, value: q.value ?? "" });
    return {};
  });

  endpoint(r, ctx, ["DELETE"], "model-versions/delete-tag", async (q) => {
    await reg.deleteModelVersionTag(q.name, q.version, q.key);
    return {};
  });
  return r;
}

/** `GET /model-versions/get-artifact?name&version&path`: one file of a model version. */
export async function getVersionArtifact(c: Context, ctx: ApiContext): Promise<Response> {
  const q = await readRequest(c, ctx, "model-versions/get-artifact");
  const path = validatePath(q.path, 0);
  const uri = await registryOf(ctx).getModelVersionDownloadUri(q.name ?? "", q.version ?? "");
  const { repo, rel } = servedArtifacts(
    await versionArtifactUri(ctx.store, registryOf(ctx), uri),
    ctx,
  );
  return await download(repo, under(rel, path));
}
