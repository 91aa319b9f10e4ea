/**
 * Model version endpoints (`model-versions/*`): create (with MLflow's source checks,
 * registry_source.ts), get, update, transition-stage, delete, search, get-download-uri, tags,
 * and `GET /model-versions/get-artifact`, which serves a file of a version from the artifact
 * proxy or an allowed local root only.
 */
import { type Context, Hono } from "hono";
import { invalidParam } from "../errors.ts";
import type { Tag } from "../model.ts";
import { isPromptTags, MODEL_VERSIONS_TAG, type ModelVersion } from "../registry_model.ts";
import { isModelsUri, parseModelUri } from "../registry_uri.ts";
import { loggedModel, loggedModelOps, versionArtifactUri } from "../store/registry_download.ts";
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

// Python's json.dumps (", " and ": " separators, non-ASCII escaped), as MLflow writes the tag.
function pyJsonDumps(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pyJsonDumps).join(", ")}]`;
  if (v !== null && typeof v === "object") {
    return `{${
      Object.entries(v).map(([k, x]) => `${pyJsonDumps(k)}: ${pyJsonDumps(x)}`).join(", ")
    }}`;
  }
  return JSON.stringify(v).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function tagValue(tags: Tag[] | Record<string, string> | undefined, key: string) {
  if (Array.isArray(tags)) return tags.find((t) => t.key === key)?.value;
  return tags?.[key];
}

// After a version made from a logged model: list it in the model's `mlflow.modelVersions` tag.
async function tagLoggedModel(ctx: ApiContext, modelId: string, v: ModelVersion): Promise<void> {
  const ops = loggedModelOps(ctx.store);
  if (!ops) return;
  const model = await ops.getLoggedModel(modelId);
  const entry = { name: v.name, version: v.version };
  let list: { name: unknown; version: unknown }[] = [entry];
  const existing = tagValue(model.tags, MODEL_VERSIONS_TAG);
  if (existing) {
    const parsed = JSON.parse(existing) as typeof list;
    const known = parsed.some((x) => x.name === entry.name && x.version === entry.version);
    list = known ? parsed : [...parsed, entry];
  }
  await ops.setLoggedModelTags(modelId, [{ key: MODEL_VERSIONS_TAG, value: pyJsonDumps(list) }]);
}

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
    const fromModel = isModelsUri(l.source) ? parseModelUri(l.source).modelId : undefined;
    if (fromModel !== undefined) {
      const m = await loggedModel(ctx.store, fromModel);
      storageLocation = m.artifactLocation;
      l.runId = l.runId || m.sourceRunId;
    }
    if (!l.runId && l.modelId) l.runId = (await loggedModel(ctx.store, l.modelId)).sourceRunId;
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
  if (!prompt && l.modelId) await tagLoggedModel(ctx, l.modelId, v);
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
