/**
 * Artifact endpoints: a run's listing (`artifacts/list`), one-file download (`/get-artifact`),
 * and the `mlflow-artifacts` proxy (GET/PUT/DELETE/list under the artifacts destination).
 */
import { join } from "node:path";
import { type Context, Hono } from "hono";
import { checkArtifactDir } from "../store/artifact_guard.ts";
import type { ArtifactRepo } from "../store/artifact_repo.ts";
import { isS3Uri } from "../store/s3/s3_config.ts";
import { invalidParam } from "../errors.ts";
import { validateRunId } from "../validate.ts";
import { storeBounds } from "./artifact_roots.ts";
import { attachmentHeaders } from "./artifact_fs.ts";
import { multipartRoutes } from "./artifact_mpu.ts";
import {
  type BodyTimeouts,
  cappedChunks,
  checkDeclaredLength,
  DEFAULT_BODY_TIMEOUT_MS,
  HttpError,
} from "./body.ts";
import { type ApiContext, endpoint, readRequest } from "./context.ts";
import { invalidPath, validatePath } from "./paths.ts";
import { destinationRepo, servedArtifacts, under } from "./served_artifacts.ts";
import { encodeFileInfo, jsonResponse, message } from "./wire.ts";

const baseName = (p: string) => p.slice(p.lastIndexOf("/") + 1);

/** One file of a repository as an attachment (404 when missing). */
export async function download(repo: ArtifactRepo, rel: string): Promise<Response> {
  if (rel === "") throw invalidPath();
  const f = await repo.open(rel);
  return new Response(f.body, { headers: attachmentHeaders(baseName(rel), f.size) });
}

/**
 * The listing MLflow answers for one directory under a stored artifact root (a run's or a
 * logged model's): `root_uri` and the entries, their paths relative to the root.
 */
export async function listUnderRoot(
  rootUri: string,
  rawPath: string | undefined,
  ctx: ApiContext,
): Promise<Record<string, unknown>> {
  const path = rawPath !== undefined ? validatePath(rawPath, 0) : "";
  const { repo, rel } = servedArtifacts(rootUri, ctx);
  const entries = await repo.list(under(rel, path));
  return message({
    root_uri: rootUri,
    files: entries.map((e) => encodeFileInfo(under(path, baseName(e.path)), e.isDir, e.size)),
  });
}

/** One file under a stored artifact root, as an attachment. */
export async function downloadUnderRoot(
  rootUri: string,
  rawPath: string,
  ctx: ApiContext,
): Promise<Response> {
  const path = validatePath(rawPath, 0);
  if (path === "") throw invalidPath();
  const { repo, rel } = servedArtifacts(rootUri, ctx);
  return await download(repo, under(rel, path));
}

/** `artifacts/list` under the tracking prefixes. */
export function runArtifactRoutes(ctx: ApiContext): Hono {
  const r = new Hono();
  endpoint(r, ctx, ["GET"], "artifacts/list", async (q) => {
    // The path is checked before the run is looked up.
    if (q.path !== undefined) validatePath(q.path, 0);
    const run = await ctx.store.getRun(validateRunId(q.runId));
    return await listUnderRoot(run.info.artifactUri, q.path, ctx);
  });
  return r;
}

/** `GET /get-artifact?run_id=…&path=…`: one run artifact as an attachment. */
export async function getArtifact(c: Context, ctx: ApiContext): Promise<Response> {
  const q = await readRequest(c, ctx, "get-artifact");
  validatePath(q.path, 0);
  const run = await ctx.store.getRun(validateRunId(q.runId));
  return await downloadUnderRoot(run.info.artifactUri, q.path, ctx);
}

// The part of the raw (still percent-encoded) URL path after `/artifacts/`; paths.ts decodes it.
// An upload may be large, so it has no total deadline; only a pause of the body timeout ends it.
function uploadTimeouts(ctx: ApiContext): BodyTimeouts {
  return { idleMs: ctx.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS };
}

function rawArtifactPath(c: Context): string {
  const path = new URL(c.req.url).pathname;
  const at = path.indexOf("/artifacts/");
  return at < 0 ? "" : path.slice(at + "/artifacts/".length);
}

// A proxy path to write or delete; never inside a tracking store's metadata (a destination
// that holds a file store, such as `--artifacts-destination ./mlruns`, holds its runs too).
function proxyWritePath(c: Context, ctx: ApiContext): string {
  const rel = validatePath(rawArtifactPath(c), 1);
  if (rel === "") throw invalidPath();
  if (!isS3Uri(ctx.artifactsDestination)) {
    checkArtifactDir(join(ctx.artifactsDestination, rel), storeBounds(ctx), "artifact path");
  }
  return rel;
}

/** The `mlflow-artifacts` proxy routes (mounted under both API prefixes). */
export function proxyRoutes(ctx: ApiContext): Hono {
  const r = new Hono();
  r.use(async (_c, next) => {
    if (!ctx.serveArtifacts) {
      throw new HttpError(
        "TEMPORARILY_UNAVAILABLE",
        "The artifacts proxy is disabled: this server runs with --no-serve-artifacts",
        503,
      );
    }
    await next();
  });

  r.get("/artifacts", async (c) => {
    const q = await readRequest(c, ctx, "mlflow-artifacts/list");
    const path = q.path !== undefined ? validatePath(q.path, 0) : "";
    const entries = await destinationRepo(ctx).list(path);
    // Basenames only, as MLflow's proxy answers.
    return jsonResponse(
      message({ files: entries.map((e) => encodeFileInfo(baseName(e.path), e.isDir, e.size)) }),
    );
  });
  r.get(
    "/artifacts/*",
    async (c) => await download(destinationRepo(ctx), validatePath(rawArtifactPath(c), 1)),
  );
  r.put("/artifacts/*", async (c) => {
    const rel = proxyWritePath(c, ctx);
    checkDeclaredLength(c.req.raw, ctx.maxArtifactBytes);
    await destinationRepo(ctx).write(
      rel,
      cappedChunks(c.req.raw, ctx.maxArtifactBytes, uploadTimeouts(ctx)),
    );
    // MLflow 3's server answers an upload with an empty 200.
    return new Response(null, { status: 200 });
  });
  r.delete("/artifacts/*", async (c) => {
    await destinationRepo(ctx).delete(proxyWritePath(c, ctx));
    return jsonResponse({});
  });
  multipartRoutes(r, ctx);
  r.all("/artifacts/*", () => {
    throw new HttpError("BAD_REQUEST", "Method not allowed", 405);
  });
  return r;
}

/** Largest body of the UI's `upload-artifact` (MLflow's 10 MB). */
export const MAX_UI_UPLOAD_BYTES = 10 * 1024 * 1024;

// Counts the chunks it passes on and fails at the end when there were none.
async function* nonEmpty(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const c of chunks) {
    total += c.byteLength;
    yield c;
  }
  if (total === 0) throw invalidParam("Request must specify data.");
}

/**
 * `POST upload-artifact?run_uuid=…&path=…` (ajax-api only): the UI's upload of one file, the raw
 * body (1 byte to 10 MB) written under the run's artifact root — the artifacts destination for
 * proxied runs, else a local root the server may write — through the path validator.
 */
export function uploadArtifactRoutes(ctx: ApiContext): Hono {
  const r = new Hono();
  r.post("/upload-artifact", async (c) => {
    const query = new URL(c.req.url).searchParams;
    const runId = query.get("run_uuid") || query.get("run_id");
    if (!runId) throw invalidParam("Request must specify run_uuid.");
    const raw = query.get("path");
    if (!raw) throw invalidParam("Request must specify path.");
    const path = validatePath(raw, 0);
    if (path === "") throw invalidParam("Request must specify path.");
    const cap = Math.min(MAX_UI_UPLOAD_BYTES, ctx.maxArtifactBytes);
    checkDeclaredLength(c.req.raw, cap);
    if (c.req.raw.body === null) throw invalidParam("Request must specify data.");
    const run = await ctx.store.getRun(validateRunId(runId));
    const { repo, rel } = servedArtifacts(run.info.artifactUri, ctx);
    await repo.write(under(rel, path), nonEmpty(cappedChunks(c.req.raw, cap, uploadTimeouts(ctx))));
    return jsonResponse({});
  });
  r.all("/upload-artifact", () => {
    throw new HttpError("BAD_REQUEST", "Method not allowed for endpoint 'upload-artifact'", 405);
  });
  return r;
}
