/**
 * Artifacts under an `s3://bucket/prefix` location: listings page by page (1,000 keys a page),
 * downloads streamed from S3, uploads streamed through multipart parts, deletes of a file or a
 * folder, and the multipart and presigned-download steps the `mlflow-artifacts` proxy offers.
 * Every object key is the prefix joined with a path that went through validatePath.
 */
import { notFound } from "../../errors.ts";
import { invalidPath, validatePath } from "../artifact_path.ts";
import type {
  ArtifactData,
  ArtifactEntry,
  ArtifactFile,
  ArtifactRepo,
  MultipartUploads,
  PresignedDownload,
} from "../artifact_repo.ts";
import type { S3Client } from "./s3_client.ts";
import { parseS3Uri, type S3Location } from "./s3_config.ts";
import { abortUpload, completeUpload, createUpload, putStream } from "./s3_upload.ts";
import { parseListPage } from "./s3_xml.ts";

/** How long presigned part-upload URLs stay valid (boto3's default for generate_presigned_url). */
const PART_URL_SECONDS = 3600;

// Keys deleted at once when a folder goes.
const DELETE_CONCURRENCY = 8;

// An attachment disposition for a presigned download (the name as RFC 6266 wants it).
function disposition(name: string): string {
  if (/^[\x20-\x7e]*$/.test(name)) {
    return `attachment; filename="${name.replace(/["\\]/g, "\\$&")}"`;
  }
  return `attachment; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** Artifacts in one S3 bucket under one key prefix. */
export class S3ArtifactRepo implements ArtifactRepo {
  readonly uri: string;
  readonly location: S3Location;
  readonly #s3: S3Client;

  constructor(uri: string, s3: S3Client) {
    this.uri = uri;
    this.location = parseS3Uri(uri);
    this.#s3 = s3;
  }

  /** The object key of a repository path; "" is the prefix itself. */
  key(path: string): string {
    const rel = validatePath(path, 0);
    return [this.location.prefix, rel].filter(Boolean).join("/");
  }

  // The repository path of a listed key, or undefined for keys no client could ask for again.
  #relative(key: string): string | undefined {
    const base = this.location.prefix ? this.location.prefix + "/" : "";
    if (!key.startsWith(base)) return undefined;
    const rel = key.slice(base.length).replace(/\/$/, "");
    try {
      return rel !== "" && validatePath(rel, 0) === rel ? rel : undefined;
    } catch {
      return undefined;
    }
  }

  async #pages(
    prefix: string,
    delimiter: boolean,
    each: (p: ReturnType<typeof parseListPage>) => void,
  ) {
    let token: string | undefined;
    do {
      const query: Record<string, string> = { "list-type": "2", prefix };
      if (delimiter) query.delimiter = "/";
      if (token) query["continuation-token"] = token;
      const res = await this.#s3.send({ method: "GET", bucket: this.location.bucket, query });
      const page = parseListPage(await res.text());
      each(page);
      token = page.next;
    } while (token);
  }

  async list(dir = ""): Promise<ArtifactEntry[]> {
    const base = this.key(dir);
    const out: ArtifactEntry[] = [];
    await this.#pages(base ? base + "/" : "", true, (page) => {
      for (const p of page.prefixes) {
        const path = this.#relative(p);
        if (path !== undefined) out.push({ path, isDir: true });
      }
      for (const f of page.files) {
        if (f.key.endsWith("/")) continue; // a folder marker, not a file
        const path = this.#relative(f.key);
        if (path !== undefined) out.push({ path, isDir: false, size: f.size });
      }
    });
    return out.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  }

  async open(path: string): Promise<ArtifactFile> {
    const rel = validatePath(path, 0);
    if (rel === "") throw invalidPath();
    const res = await this.#s3.send({
      method: "GET",
      bucket: this.location.bucket,
      key: this.key(rel),
      accept: [404],
    });
    if (res.status === 404 || !res.body) {
      await res.body?.cancel();
      throw notFound(`Artifact not found: '${rel}'`);
    }
    return { body: res.body, size: Number(res.headers.get("content-length") ?? 0) };
  }

  async write(path: string, data: ArtifactData): Promise<void> {
    const rel = validatePath(path, 0);
    if (rel === "") throw invalidPath();
    const key = this.key(rel);
    const { bucket } = this.location;
    if (data instanceof Uint8Array) {
      const res = await this.#s3.send({ method: "PUT", bucket, key, body: data });
      await res.body?.cancel();
      return;
    }
    await putStream(this.#s3, bucket, key, typeof data === "function" ? await data() : data);
  }

  async delete(path: string): Promise<void> {
    const base = this.key(path);
    const keys: string[] = [];
    // The key itself (a file) and everything under it as a folder: never a sibling "a.txt.bak".
    await this.#pages(base, false, (page) => {
      for (const f of page.files) {
        if (base === "" || f.key === base || f.key.startsWith(base + "/")) keys.push(f.key);
      }
    });
    await this.#deleteKeys(keys);
    // Stores built on a file tree (SeaweedFS, MinIO) keep emptied folders listed as prefixes
    // until their `folder/` key goes too; on AWS these deletes are no-ops. Deepest first.
    const folders = new Set<string>();
    for (const key of keys) {
      for (let i = key.lastIndexOf("/"); i > 0; i = key.lastIndexOf("/", i - 1)) {
        const folder = key.slice(0, i);
        if (folder.length < base.length || folders.has(folder + "/")) break;
        folders.add(folder + "/");
      }
    }
    for (const folder of [...folders].sort((a, b) => b.length - a.length)) {
      await this.#deleteKeys([folder]);
    }
  }

  async #deleteKeys(keys: string[]): Promise<void> {
    const { bucket } = this.location;
    for (let i = 0; i < keys.length; i += DELETE_CONCURRENCY) {
      await Promise.all(
        keys.slice(i, i + DELETE_CONCURRENCY).map(async (key) => {
          const res = await this.#s3.send({ method: "DELETE", bucket, key, accept: [404] });
          await res.body?.cancel();
        }),
      );
    }
  }

  /** Multipart uploads with presigned part URLs (MLflow's MultipartUploadMixin). */
  readonly multipart: MultipartUploads = {
    create: async (path, numParts) => {
      const key = this.key(path);
      const { bucket } = this.location;
      const uploadId = await createUpload(this.#s3, bucket, key);
      const credentials = [];
      for (let n = 1; n <= numParts; n++) {
        const url = await this.#s3.presign("PUT", bucket, key, {
          partNumber: String(n),
          uploadId,
        }, PART_URL_SECONDS);
        credentials.push({ partNumber: n, url });
      }
      return { uploadId, credentials };
    },
    complete: (path, uploadId, parts) =>
      completeUpload(this.#s3, this.location.bucket, this.key(path), uploadId, parts),
    abort: (path, uploadId) =>
      abortUpload(this.#s3, this.location.bucket, this.key(path), uploadId),
  };

  /** A presigned GET for one file and its size (MLflow's MultipartDownloadMixin). */
  async presignDownload(path: string, seconds: number): Promise<PresignedDownload> {
    const rel = validatePath(path, 0);
    if (rel === "") throw invalidPath();
    const { bucket } = this.location;
    const key = this.key(rel);
    const head = await this.#s3.send({ method: "HEAD", bucket, key, accept: [404] });
    if (head.status === 404) throw notFound(`Artifact not found: '${rel}'`);
    const url = await this.#s3.presign("GET", bucket, key, {
      "response-content-disposition": disposition(rel.slice(rel.lastIndexOf("/") + 1)),
    }, seconds);
    return { url, size: Number(head.headers.get("content-length") ?? 0) };
  }
}
