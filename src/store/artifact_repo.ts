/**
 * The artifact repository interface: a run's (or a location's) files behind list, open, write
 * and delete, with MLflow's optional capabilities (multipart uploads, presigned downloads) for
 * stores that have them. Implementations: store/artifacts.ts (local folders), rest/ (a tracking
 * server's proxy), s3/ (S3 buckets), api/artifact_fs.ts (a server's own roots).
 */

/** One entry of a listing; `path` is relative to the repository root. */
export interface ArtifactEntry {
  path: string;
  isDir: boolean;
  size?: number;
}

/**
 * Bytes to write: in memory, a stream factory (called again when a request is retried), or
 * chunks read once (a producer may reuse a chunk's buffer once the next one is asked for).
 */
export type ArtifactData =
  | Uint8Array
  | (() => Promise<ReadableStream<Uint8Array>>)
  | AsyncIterable<Uint8Array>;

/** An open file: its bytes and, when known, its size. */
export interface ArtifactFile {
  body: ReadableStream<Uint8Array>;
  size: number;
}

/** A multipart upload's part URLs (MLflow's `CreateMultipartUpload.Response`). */
export interface MultipartCreated {
  uploadId: string;
  credentials: { partNumber: number; url: string }[];
}

/** Multipart uploads whose parts the client sends to presigned URLs. */
export interface MultipartUploads {
  create(path: string, numParts: number): Promise<MultipartCreated>;
  complete(
    path: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
  ): Promise<void>;
  abort(path: string, uploadId: string): Promise<void>;
}

/** A presigned download URL and the file's size. */
export interface PresignedDownload {
  url: string;
  size: number;
}

/** Where one run's (or one location's) artifacts live. */
export interface ArtifactRepo {
  /** The artifact URI this repository serves. */
  readonly uri: string;
  /** Entries directly under `dir` ("" = the root), sorted by path; [] when `dir` does not exist. */
  list(dir?: string): Promise<ArtifactEntry[]>;
  /** One file's bytes (RESOURCE_DOES_NOT_EXIST when missing). */
  open(path: string): Promise<ArtifactFile>;
  /** Creates or replaces one file. */
  write(path: string, data: ArtifactData): Promise<void>;
  /** Deletes a file or a folder tree (nothing when absent). */
  delete(path: string): Promise<void>;
  /** Present when the store hands out presigned part URLs (S3). */
  readonly multipart?: MultipartUploads;
  /** Present when the store hands out presigned download URLs (S3). */
  presignDownload?(path: string, seconds: number): Promise<PresignedDownload>;
}
