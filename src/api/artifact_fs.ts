/**
 * A local artifact repository under one root directory: list, download, upload (temp file +
 * rename) and delete, every path going through paths.ts first (symlinks resolved and contained).
 * `FsArtifactRepo` puts them behind the ArtifactRepo interface the server's routes use.
 */
import { basename, dirname, join } from "node:path";
import { MltError, notFound } from "../errors.ts";
import type {
  ArtifactData,
  ArtifactEntry as RepoEntry,
  ArtifactFile,
  ArtifactRepo,
} from "../store/artifact_repo.ts";
import { invalidPath, isInside, resolveWithin, validatePath } from "./paths.ts";

/** One entry of a directory listing. */
export interface ArtifactEntry {
  name: string;
  isDir: boolean;
  size?: number;
}

async function exists(p: string): Promise<boolean> {
  try {
    await Deno.stat(p);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Lists a directory under `root` sorted by name; a missing directory or a file lists as empty. */
export async function listArtifacts(root: string, rel: string): Promise<ArtifactEntry[]> {
  if (!(await exists(root))) return [];
  const dir = await resolveWithin(root, rel);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch {
    return [];
  }
  if (!info.isDirectory) return [];
  const out: ArtifactEntry[] = [];
  for await (const e of Deno.readDir(dir)) {
    let st: Deno.FileInfo;
    try {
      const p = join(dir, e.name);
      // Links are listed only when they stay inside the root.
      if (e.isSymlink && !(await isInside(root, p))) continue;
      st = await Deno.stat(p);
    } catch {
      continue;
    }
    out.push(
      st.isDirectory ? { name: e.name, isDir: true } : {
        name: e.name,
        isDir: false,
        size: st.size,
      },
    );
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** An open artifact file and its size. */
export interface OpenArtifact {
  file: Deno.FsFile;
  size: number;
  name: string;
}

/** Opens one file under `root` for download (404 when missing, 400 for a directory). */
export async function openArtifact(root: string, rel: string): Promise<OpenArtifact> {
  const canonical = validatePath(rel, 0);
  if (canonical === "") throw invalidPath();
  const p = (await exists(root)) ? await resolveWithin(root, canonical) : "";
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(p);
  } catch {
    throw notFound(`Artifact not found: '${canonical}'`);
  }
  if (info.isDirectory) {
    throw new MltError(
      "INVALID_PARAMETER_VALUE",
      `Artifact path refers to a directory, not a file: '${canonical}'`,
    );
  }
  return { file: await Deno.open(p, { read: true }), size: info.size, name: basename(canonical) };
}

/**
 * Writes a file under `root` from a stream of chunks: into a temp file beside the target, then
 * renamed, so readers never see a partial file and a failed upload leaves the old one.
 */
export async function writeArtifact(
  root: string,
  rel: string,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<void> {
  const canonical = validatePath(rel, 0);
  if (canonical === "") throw invalidPath();
  await Deno.mkdir(root, { recursive: true });
  const target = await resolveWithin(root, canonical);
  try {
    await Deno.mkdir(dirname(target), { recursive: true });
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists || e instanceof Deno.errors.NotADirectory) {
      throw new MltError(
        "INVALID_PARAMETER_VALUE",
        `Cannot write artifact '${canonical}': a parent is a file`,
      );
    }
    throw e;
  }
  // The parent may have been created through a link; check it again now that it exists.
  const parent = await resolveWithin(root, dirname(canonical) === "." ? "" : dirname(canonical));
  const dest = join(parent, basename(canonical));
  if ((await exists(dest)) && (await Deno.stat(dest)).isDirectory) {
    throw new MltError(
      "INVALID_PARAMETER_VALUE",
      `Cannot write artifact '${canonical}': it is a directory`,
    );
  }
  const tmp = join(parent, `.${basename(canonical)}.${crypto.randomUUID()}.tmp`);
  const file = await Deno.open(tmp, { write: true, createNew: true });
  try {
    for await (const chunk of chunks) {
      let off = 0;
      while (off < chunk.byteLength) off += await file.write(chunk.subarray(off));
    }
    file.close();
    await Deno.rename(tmp, dest);
  } catch (e) {
    try {
      file.close();
    } catch { /* already closed */ }
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/** Deletes a file or directory tree under `root`; the root itself cannot be deleted. */
export async function deleteArtifact(root: string, rel: string): Promise<void> {
  const canonical = validatePath(rel, 0);
  if (canonical === "") throw invalidPath();
  if (!(await exists(root))) return;
  const p = await resolveWithin(root, canonical);
  try {
    await Deno.remove(p, { recursive: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/** A server's local artifact root as an ArtifactRepo (no multipart, no presigned URLs). */
export class FsArtifactRepo implements ArtifactRepo {
  readonly uri: string;
  readonly root: string;

  constructor(root: string) {
    this.root = root;
    this.uri = root;
  }

  async list(dir = ""): Promise<RepoEntry[]> {
    const rel = validatePath(dir, 0);
    return (await listArtifacts(this.root, rel)).map((e) => ({
      path: rel ? `${rel}/${e.name}` : e.name,
      isDir: e.isDir,
      size: e.size,
    }));
  }

  async open(path: string): Promise<ArtifactFile> {
    const a = await openArtifact(this.root, path);
    return { body: a.file.readable, size: a.size };
  }

  async write(path: string, data: ArtifactData): Promise<void> {
    const chunks = data instanceof Uint8Array
      ? [data]
      : typeof data === "function"
      ? await data()
      : data;
    await writeArtifact(this.root, path, chunks);
  }

  delete(path: string): Promise<void> {
    return deleteArtifact(this.root, path);
  }
}

const MIME: Record<string, string> = {
  txt: "text/plain",
  log: "text/plain",
  csv: "text/csv",
  json: "application/json",
  yaml: "text/yaml",
  yml: "text/yaml",
  html: "text/html",
  htm: "text/html",
  svg: "image/svg+xml",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  pdf: "application/pdf",
  parquet: "application/octet-stream",
  pkl: "application/octet-stream",
};

/** Download headers: always an attachment with nosniff, so nothing renders in our origin. */
export function attachmentHeaders(name: string, size: number): Headers {
  const ext = name.includes(".") ? name.slice(name.lastIndexOf(".") + 1).toLowerCase() : "";
  const ascii = name.replace(/[^\x20-\x7e]|["\\;]/g, "_") || "download";
  return new Headers({
    "content-type": MIME[ext] ?? "application/octet-stream",
    "content-length": String(size),
    "content-disposition": `attachment; filename="${ascii}"; filename*=UTF-8''${
      encodeURIComponent(name)
    }`,
    "x-content-type-options": "nosniff",
  });
}
