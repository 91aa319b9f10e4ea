/**
 * Artifacts through a tracking server: the `mlflow-artifacts` proxy (list, GET, PUT), and a
 * read-only view of a run's server-side local artifacts (`artifacts/list`, `/get-artifact`).
 */
import { MltError, notFound } from "../../errors.ts";
import { checkArtifactPath } from "../artifact_path.ts";
import type { ArtifactData, ArtifactEntry, ArtifactFile, ArtifactRepo } from "../artifact_repo.ts";
import { type HttpTransport, type Json, snippet } from "./rest_http.ts";

const PROXY = "/api/2.0/mlflow-artifacts/artifacts";

const encodePath = (p: string) => p.split("/").map(encodeURIComponent).join("/");
const join = (...parts: string[]) => parts.filter(Boolean).join("/");

function entries(body: Json, dir: string): ArtifactEntry[] {
  const files = Array.isArray(body.files) ? body.files : [];
  const out: ArtifactEntry[] = [];
  for (const f of files) {
    if (!f || typeof f.path !== "string") continue;
    // The proxy answers basenames, `artifacts/list` run-relative paths.
    const path = f.path.includes("/") ? f.path : join(dir, f.path);
    const isDir = f.is_dir === true;
    out.push(isDir ? { path, isDir } : { path, isDir, size: Number(f.file_size ?? 0) });
  }
  return out.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
}

async function json(res: Response, http: HttpTransport, what: string): Promise<Json> {
  const text = await res.text();
  if (text.trim() === "") return {};
  try {
    const v = JSON.parse(text);
    if (v && typeof v === "object" && !Array.isArray(v)) return v;
  } catch { /* reported below */ }
  throw http.garbage(what, `a body that is not a JSON object: ${snippet(text)}`);
}

// The size a download announced (0 when it did not).
function sizeOf(res: Response): number {
  return Number(res.headers.get("content-length") ?? 0) || 0;
}

// Chunks read once, as a stream (copied: their producer may reuse the buffers).
function streamOf(chunks: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const it = chunks[Symbol.asyncIterator]();
  return new ReadableStream({
    async pull(c) {
      const { done, value } = await it.next();
      if (done) c.close();
      else c.enqueue(value.slice());
    },
    async cancel() {
      await it.return?.();
    },
  });
}

function body(data: ArtifactData) {
  return {
    body: async (): Promise<BodyInit> =>
      data instanceof Uint8Array
        ? data as Uint8Array<ArrayBuffer>
        : typeof data === "function"
        ? await data()
        : streamOf(data),
    contentType: "application/octet-stream",
    untimed: true,
  };
}

/** Artifacts behind the `mlflow-artifacts` proxy; `root` is the path under the destination. */
export class HttpArtifactRepo implements ArtifactRepo {
  readonly uri: string;
  #http: HttpTransport;
  #root: string;

  constructor(uri: string, http: HttpTransport, root: string) {
    this.uri = uri;
    this.#http = http;
    this.#root = root.replace(/\/+$/, "");
  }

  async list(dir = ""): Promise<ArtifactEntry[]> {
    const rel = checkArtifactPath(dir);
    const q = new URLSearchParams({ path: join(this.#root, rel) });
    const url = `${this.#http.base}${PROXY}?${q}`;
    try {
      const what = "GET mlflow-artifacts/artifacts";
      return entries(await json(await this.#http.request("GET", url, what), this.#http, what), rel);
    } catch (e) {
      if (e instanceof MltError && e.code === "RESOURCE_DOES_NOT_EXIST") return [];
      throw e;
    }
  }

  async open(path: string): Promise<ArtifactFile> {
    const rel = checkArtifactPath(path);
    const url = `${this.#http.base}${PROXY}/${encodePath(join(this.#root, rel))}`;
    const res = await this.#http.request("GET", url, `GET artifact "${rel}"`);
    if (!res.body) throw notFound(`No artifact "${rel}" in ${this.uri}`);
    return { body: res.body, size: sizeOf(res) };
  }

  async delete(path: string): Promise<void> {
    const rel = checkArtifactPath(path);
    const url = `${this.#http.base}${PROXY}/${encodePath(join(this.#root, rel))}`;
    const res = await this.#http.request("DELETE", url, `DELETE artifact "${rel}"`);
    await res.body?.cancel();
  }

  async write(path: string, data: ArtifactData): Promise<void> {
    const rel = checkArtifactPath(path);
    const url = `${this.#http.base}${PROXY}/${encodePath(join(this.#root, rel))}`;
    const res = await this.#http.request("PUT", url, `PUT artifact "${rel}"`, body(data));
    await res.body?.cancel();
  }
}

/** A run's artifacts stored in a directory only the server can see: read through the server. */
export class ServerRunArtifactRepo implements ArtifactRepo {
  readonly uri: string;
  #http: HttpTransport;
  #runId: string;

  constructor(uri: string, http: HttpTransport, runId: string) {
    this.uri = uri;
    this.#http = http;
    this.#runId = runId;
  }

  async list(dir = ""): Promise<ArtifactEntry[]> {
    const rel = checkArtifactPath(dir);
    const b = await this.#http.call("GET", "artifacts/list", {
      run_id: this.#runId,
      path: rel || undefined,
    });
    return entries(b, rel);
  }

  async open(path: string): Promise<ArtifactFile> {
    const q = new URLSearchParams({ run_id: this.#runId, path: checkArtifactPath(path) });
    const res = await this.#http.request(
      "GET",
      `${this.#http.base}/get-artifact?${q}`,
      "get-artifact",
    );
    if (!res.body) throw notFound(`No artifact "${path}" in ${this.uri}`);
    return { body: res.body, size: sizeOf(res) };
  }

  write(_path: string, _data: ArtifactData): Promise<void> {
    return this.#readOnly();
  }

  delete(_path: string): Promise<void> {
    return this.#readOnly();
  }

  #readOnly(): Promise<never> {
    return Promise.reject(
      new MltError(
        "NOT_IMPLEMENTED",
        `Cannot write artifacts to "${this.uri}": it is a directory on the tracking server, ` +
          "which has no upload endpoint for it; start the server with --serve-artifacts and " +
          "an mlflow-artifacts: artifact root",
      ),
    );
  }
}
