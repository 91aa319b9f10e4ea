/**
 * Artifact repositories: a run's files behind one small interface (artifact_repo.ts). Local
 * locations (plain paths, `file:` URIs) are read and written directly; `mlflow-artifacts:`
 * locations go through a tracking server's proxy (rest/artifacts_http.ts); `s3://` locations
 * straight to S3 (s3/s3_repo.ts). Used by the TS client and the artifacts and gc commands.
 */
import { basename, dirname, join, relative, sep } from "node:path";
import { invalidParam, MltError, notFound } from "../errors.ts";
import { checkArtifactDir, localArtifactDir } from "./artifact_guard.ts";
import { checkArtifactPath } from "./artifact_path.ts";
import type { ArtifactData, ArtifactEntry, ArtifactFile, ArtifactRepo } from "./artifact_repo.ts";
import { HttpArtifactRepo, ServerRunArtifactRepo } from "./rest/artifacts_http.ts";
import { HttpTransport } from "./rest/rest_http.ts";
import { S3Client } from "./s3/s3_client.ts";
import { type S3Config, s3ConfigFromEnv } from "./s3/s3_config.ts";
import { S3ArtifactRepo } from "./s3/s3_repo.ts";
import type { HttpStoreOptions } from "./store.ts";

export { checkArtifactPath, localArtifactDir };
export type { ArtifactData, ArtifactEntry, ArtifactRepo };

/** What resolving an artifact URI may need. */
export interface ArtifactRepoOptions {
  /** The tracking URI: an http(s) server resolves `mlflow-artifacts:` URIs. */
  trackingUri?: string;
  /** Credentials and retries for http(s). */
  http?: HttpStoreOptions;
  /** The run, for reading server-side local artifacts through the tracking server. */
  runId?: string;
  /** How to reach S3 for `s3://` URIs; else read from `env` (MLflow's variables). */
  s3?: S3Config;
  /** The environment `s3://` URIs take their settings from when `s3` is absent. */
  env?: (name: string) => string | undefined;
}

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.\-]*):/;

/** Opens the repository of an artifact URI (a run's `artifactUri` or an experiment location). */
export function openArtifactRepo(uri: string, opts: ArtifactRepoOptions = {}): ArtifactRepo {
  const remote = opts.trackingUri !== undefined && /^https?:/i.test(opts.trackingUri);
  const local = localArtifactDir(uri);
  if (local !== undefined) {
    // A server's local path that this machine does not have: read it through the server.
    if (remote && opts.runId && !exists(local)) {
      return new ServerRunArtifactRepo(
        uri,
        new HttpTransport(opts.trackingUri!, opts.http),
        opts.runId,
      );
    }
    // A location inside a tracking store's metadata (a hand-edited or pre-check meta.yaml).
    checkArtifactDir(local);
    return new LocalArtifactRepo(uri, local);
  }
  const scheme = SCHEME.exec(uri)![1].toLowerCase();
  if (scheme === "mlflow-artifacts") {
    const m = /^mlflow-artifacts:(?:\/\/([^/]+))?(\/.*)?$/i.exec(uri);
    const path = (m?.[2] ?? "/").replace(/^\/+/, "");
    let base = opts.trackingUri;
    if (m?.[1]) base = `${remote ? new URL(base!).protocol : "http:"}//${m[1]}`;
    else if (!remote) {
      throw invalidParam(
        `Cannot open artifact URI "${uri}": mlflow-artifacts: URIs need an http(s) tracking ` +
          "URI (--tracking-uri or MLFLOW_TRACKING_URI) naming the server that stores them",
      );
    }
    return new HttpArtifactRepo(uri, new HttpTransport(base!, opts.http), path);
  }
  if (scheme === "http" || scheme === "https") {
    const at = uri.indexOf("/api/2.0/mlflow-artifacts/artifacts");
    if (at >= 0) {
      const path = uri.slice(at + "/api/2.0/mlflow-artifacts/artifacts".length).replace(/^\/+/, "");
      return new HttpArtifactRepo(uri, new HttpTransport(uri.slice(0, at), opts.http), path);
    }
  }
  if (scheme === "s3") {
    const config = opts.s3 ?? (opts.env ? s3ConfigFromEnv(opts.env) : undefined);
    if (!config) throw invalidParam(`Cannot open artifact URI "${uri}": no S3 settings given`);
    return new S3ArtifactRepo(uri, new S3Client(config));
  }
  throw new MltError(
    "NOT_IMPLEMENTED",
    `Cannot open artifact URI "${uri}": mlt reads and writes local paths, file:, s3: and ` +
      `mlflow-artifacts: URIs, not ${scheme}:`,
  );
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Artifacts in a local directory. */
export class LocalArtifactRepo implements ArtifactRepo {
  readonly uri: string;
  /** The absolute directory. */
  readonly root: string;

  constructor(uri: string, root: string) {
    this.uri = uri;
    this.root = root;
  }

  #abs(path: string): string {
    const p = checkArtifactPath(path);
    return p ? join(this.root, ...p.split("/")) : this.root;
  }

  async list(dir = ""): Promise<ArtifactEntry[]> {
    const rel = checkArtifactPath(dir);
    const abs = this.#abs(rel);
    const out: ArtifactEntry[] = [];
    try {
      for await (const e of Deno.readDir(abs)) {
        const st = await Deno.stat(join(abs, e.name)).catch(() => undefined);
        if (!st) continue; // a dangling symlink
        const path = rel ? `${rel}/${e.name}` : e.name;
        out.push(st.isDirectory ? { path, isDir: true } : { path, isDir: false, size: st.size });
      }
    } catch (e) {
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return [];
      throw e;
    }
    return out.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  }

  async open(path: string): Promise<ArtifactFile> {
    try {
      const file = await Deno.open(this.#abs(path));
      return { body: file.readable, size: (await file.stat()).size };
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) throw notFound(`No artifact "${path}" in ${this.uri}`);
      throw e;
    }
  }

  async delete(path: string): Promise<void> {
    await Deno.remove(this.#abs(path), { recursive: true }).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
  }

  async write(path: string, data: ArtifactData): Promise<void> {
    const abs = this.#abs(path);
    if (abs === this.root) throw invalidParam("Cannot write an artifact without a file name");
    await Deno.mkdir(dirname(abs), { recursive: true });
    // Through a temp file and a rename, so readers never see half a file.
    const tmp = join(dirname(abs), `.mlt-tmp-${crypto.randomUUID().slice(0, 8)}`);
    try {
      if (data instanceof Uint8Array) await Deno.writeFile(tmp, data);
      else if (typeof data === "function") await Deno.writeFile(tmp, await data());
      else {
        using file = await Deno.open(tmp, { write: true, createNew: true });
        for await (const chunk of data) {
          for (let at = 0; at < chunk.byteLength;) at += await file.write(chunk.subarray(at));
        }
      }
      await Deno.rename(tmp, abs);
    } catch (e) {
      await Deno.remove(tmp).catch(() => {});
      throw e;
    }
  }
}

/** Progress callback: one call per file transferred. */
export type OnFile = (path: string, bytes: number) => void;

/** Uploads a local file (to `artifactPath/<name>`) or a directory's contents (under `artifactPath`). */
export async function uploadPath(
  repo: ArtifactRepo,
  localPath: string,
  artifactPath = "",
  onFile?: OnFile,
): Promise<number> {
  const dest = checkArtifactPath(artifactPath);
  const st = await Deno.stat(localPath).catch(() => {
    throw notFound(`Cannot log "${localPath}": no such file or directory`);
  });
  const files: [string, string][] = [];
  if (st.isFile) files.push([localPath, [dest, basename(localPath)].filter(Boolean).join("/")]);
  else {
    const walk = async (dir: string) => {
      for await (const e of Deno.readDir(dir)) {
        const p = join(dir, e.name);
        const s = await Deno.stat(p).catch(() => undefined);
        if (s?.isDirectory) await walk(p);
        else if (s?.isFile) {
          const rel = relative(localPath, p).split(sep).join("/");
          files.push([p, [dest, rel].filter(Boolean).join("/")]);
        }
      }
    };
    await walk(localPath);
  }
  for (const [src, to] of files) {
    const size = (await Deno.stat(src)).size;
    await repo.write(to, async () => (await Deno.open(src)).readable);
    onFile?.(to, size);
  }
  return files.length;
}

/** Every file under `dir` ("" = everything), recursively. */
export async function listFiles(repo: ArtifactRepo, dir = ""): Promise<ArtifactEntry[]> {
  const out: ArtifactEntry[] = [];
  for (const e of await repo.list(dir)) {
    if (e.isDir) out.push(...await listFiles(repo, e.path));
    else out.push(e);
  }
  return out;
}

/**
 * Downloads the file or directory `path` ("" = everything) into `dest`, keeping its relative
 * path; returns the local path of what was downloaded.
 */
export async function downloadPath(
  repo: ArtifactRepo,
  path: string,
  dest: string,
  onFile?: OnFile,
): Promise<string> {
  const rel = checkArtifactPath(path);
  let files: ArtifactEntry[];
  if (rel === "") files = await listFiles(repo);
  else {
    const parent = rel.includes("/") ? rel.slice(0, rel.lastIndexOf("/")) : "";
    const entry = (await repo.list(parent)).find((e) => e.path === rel);
    if (!entry) throw notFound(`No artifact "${rel}" in ${repo.uri}`);
    files = entry.isDir ? await listFiles(repo, rel) : [entry];
  }
  for (const f of files) {
    const to = join(dest, ...f.path.split("/"));
    await Deno.mkdir(dirname(to), { recursive: true });
    await Deno.writeFile(to, (await repo.open(f.path)).body);
    onFile?.(f.path, f.size ?? 0);
  }
  return rel ? join(dest, ...rel.split("/")) : dest;
}
