/**
 * The proxy's multipart upload and presigned download routes, as MLflow 3's server has them:
 * `POST mpu/create|complete|abort/<artifact_path>` hand out presigned part URLs of the
 * destination's store and join or drop the parts; `GET presigned/<path>` a presigned download.
 * A destination without them (a local folder) answers NOT_IMPLEMENTED in MLflow's words, which
 * the Python client recognises to fall back to a plain upload.
 */
import type { Context, Hono } from "hono";
import { invalidParam, MltError } from "../errors.ts";
import { MAX_PARTS } from "../store/s3/s3_upload.ts";
import type { ApiContext } from "./context.ts";
import { readRequest } from "./context.ts";
import { invalidPath, validatePath } from "./paths.ts";
import { destinationRepo, under } from "./served_artifacts.ts";
import { jsonResponse, message } from "./wire.ts";

/** MLflow's message for a repository without multipart uploads (the client matches its start). */
export const NO_MULTIPART_UPLOAD =
  "Multipart upload is not supported for the current artifact repository";
const NO_MULTIPART_DOWNLOAD =
  "Multipart download is not supported for the current artifact repository";

// The raw (percent-encoded) path after `/<marker>/`; validatePath decodes it once.
function rawAfter(c: Context, marker: string): string {
  const path = new URL(c.req.url).pathname;
  const at = path.indexOf(marker);
  return at < 0 ? "" : path.slice(at + marker.length);
}

// The object an upload names: the artifact folder of the URL plus the base name of the client's
// local file (MLflow joins them the same way), both through the path validator.
function target(c: Context, kind: string, localPath: string): string {
  const dir = validatePath(rawAfter(c, `/mpu/${kind}/`), 1);
  const name = localPath.split(/[\\/]/).pop() ?? "";
  const file = validatePath(name, 0);
  if (file === "" || file.includes("/")) throw invalidPath();
  return under(dir, file);
}

function multipartOf(ctx: ApiContext) {
  const m = destinationRepo(ctx).multipart;
  if (!m) throw new MltError("NOT_IMPLEMENTED", NO_MULTIPART_UPLOAD);
  return m;
}

/** Registers the multipart and presigned routes on the proxy's router. */
export function multipartRoutes(r: Hono, ctx: ApiContext): void {
  r.post("/mpu/create/*", async (c) => {
    const q = await readRequest(c, ctx, "mlflow-artifacts/mpu/create");
    const path = target(c, "create", q.path);
    const parts = Number(q.numParts ?? 0);
    if (!Number.isInteger(parts) || parts < 0 || parts > MAX_PARTS) {
      throw invalidParam(`Invalid num_parts ${parts}: expected 0 to ${MAX_PARTS}`);
    }
    const created = await multipartOf(ctx).create(path, parts);
    return jsonResponse(message({
      upload_id: created.uploadId,
      credentials: created.credentials.map((x) => ({ url: x.url, part_number: x.partNumber })),
    }));
  });
  r.post("/mpu/complete/*", async (c) => {
    const q = await readRequest(c, ctx, "mlflow-artifacts/mpu/complete");
    const path = target(c, "complete", q.path);
    const parts = (q.parts as { partNumber?: number; etag?: string }[]).map((p) => {
      const n = Number(p.partNumber ?? 0);
      if (!Number.isInteger(n) || n < 1 || n > MAX_PARTS || !p.etag) {
        throw invalidParam("Invalid parts: each needs a part_number from 1 to 10000 and an etag");
      }
      return { partNumber: n, etag: p.etag };
    });
    await multipartOf(ctx).complete(path, q.uploadId ?? "", parts);
    return jsonResponse({});
  });
  r.post("/mpu/abort/*", async (c) => {
    const q = await readRequest(c, ctx, "mlflow-artifacts/mpu/abort");
    await multipartOf(ctx).abort(target(c, "abort", q.path), q.uploadId ?? "");
    return jsonResponse({});
  });
  r.get("/presigned/*", async (c) => {
    const path = validatePath(rawAfter(c, "/presigned/"), 1);
    if (path === "") throw invalidPath();
    const repo = destinationRepo(ctx);
    if (!repo.presignDownload) throw new MltError("NOT_IMPLEMENTED", NO_MULTIPART_DOWNLOAD);
    const p = await repo.presignDownload(path, ctx.presignedDownloadSeconds);
    return jsonResponse({ url: p.url, headers: {}, file_size: p.size });
  });
}
