/**
 * Uploads to S3: a body of unknown length streamed through two part buffers (one filling while
 * the other is sent), as one PutObject when it fits in a part and as a multipart upload when it
 * does not; and the multipart steps a tracking server hands to its clients as presigned URLs.
 */
import { invalidParam, MltError } from "../../errors.ts";
import type { S3Client } from "./s3_client.ts";
import { completeBody, xmlTag } from "./s3_xml.ts";

/** Size of one part of a streamed upload (S3 wants at least 5 MiB for all parts but the last). */
export const PART_BYTES = 8 * 1024 * 1024;
/** S3's limit on the parts of one upload. */
export const MAX_PARTS = 10_000;

/** One uploaded part, for CompleteMultipartUpload. */
export interface UploadedPart {
  partNumber: number;
  etag: string;
}

/** Starts a multipart upload; returns its id. */
export async function createUpload(s3: S3Client, bucket: string, key: string): Promise<string> {
  const res = await s3.send({ method: "POST", bucket, key, query: { uploads: "" } });
  const id = xmlTag(await res.text(), "UploadId");
  if (!id) {
    throw new MltError(
      "INTERNAL_ERROR",
      `S3 started an upload to s3://${bucket}/${key} without an id`,
    );
  }
  return id;
}

/** Joins the parts into the object. */
export async function completeUpload(
  s3: S3Client,
  bucket: string,
  key: string,
  uploadId: string,
  parts: UploadedPart[],
): Promise<void> {
  const res = await s3.send({
    method: "POST",
    bucket,
    key,
    query: { uploadId },
    headers: { "content-type": "application/xml" },
    body: new TextEncoder().encode(completeBody(parts)),
  });
  // S3 may answer 200 and put the error in the body once the parts were joined.
  const text = await res.text();
  if (/<Error>/.test(text)) {
    throw new MltError(
      "INVALID_PARAMETER_VALUE",
      `S3 could not complete the upload to s3://${bucket}/${key}: ` +
        `${xmlTag(text, "Code") ?? "Error"}: ${xmlTag(text, "Message") ?? ""}`,
    );
  }
}

/** Abandons an upload: S3 drops the parts sent so far. */
export async function abortUpload(
  s3: S3Client,
  bucket: string,
  key: string,
  uploadId: string,
): Promise<void> {
  const res = await s3.send({ method: "DELETE", bucket, key, query: { uploadId } });
  await res.body?.cancel();
}

async function sendPart(
  s3: S3Client,
  bucket: string,
  key: string,
  uploadId: string,
  partNumber: number,
  bytes: Uint8Array,
): Promise<UploadedPart> {
  const res = await s3.send({
    method: "PUT",
    bucket,
    key,
    query: { partNumber: String(partNumber), uploadId },
    body: bytes,
  });
  await res.body?.cancel();
  const etag = res.headers.get("etag");
  if (!etag) throw new MltError("INTERNAL_ERROR", `S3 accepted part ${partNumber} without an ETag`);
  return { partNumber, etag };
}

/**
 * Writes the object `key` from `chunks` (each chunk may be reused by its producer once the next
 * is asked for, so bytes are copied into the part buffer at once). Memory: two part buffers.
 */
export async function putStream(
  s3: S3Client,
  bucket: string,
  key: string,
  chunks: AsyncIterable<Uint8Array>,
  partBytes = PART_BYTES,
): Promise<void> {
  let buf = new Uint8Array(partBytes);
  // The buffer of the part in flight: free again once that part is acknowledged. Two buffers
  // take turns, so a long upload makes no garbage for the collector to fall behind on.
  let sent: typeof buf | undefined;
  let fill = 0;
  let uploadId: string | undefined;
  const parts: UploadedPart[] = [];
  let inFlight: Promise<UploadedPart> | undefined;
  const flush = async () => {
    uploadId ??= await createUpload(s3, bucket, key);
    if (inFlight) parts.push(await inFlight);
    if (parts.length + 1 > MAX_PARTS) {
      throw invalidParam(`Cannot upload s3://${bucket}/${key}: more than ${MAX_PARTS} parts`);
    }
    inFlight = sendPart(s3, bucket, key, uploadId, parts.length + 1, buf.subarray(0, fill));
    inFlight.catch(() => {}); // awaited at the next flush or at the end
    [buf, sent] = [sent ?? new Uint8Array(partBytes), buf];
    fill = 0;
  };
  try {
    for await (const chunk of chunks) {
      let at = 0;
      while (at < chunk.byteLength) {
        const n = Math.min(chunk.byteLength - at, partBytes - fill);
        buf.set(chunk.subarray(at, at + n), fill);
        fill += n;
        at += n;
        if (fill === partBytes) await flush();
      }
    }
    if (uploadId === undefined) {
      // It all fit in one part: a plain PutObject.
      const res = await s3.send({ method: "PUT", bucket, key, body: buf.subarray(0, fill) });
      await res.body?.cancel();
      return;
    }
    if (fill > 0) await flush();
    if (inFlight) parts.push(await inFlight);
    await completeUpload(s3, bucket, key, uploadId, parts);
  } catch (e) {
    if (uploadId !== undefined) {
      await inFlight?.catch(() => {});
      await abortUpload(s3, bucket, key, uploadId).catch(() => {});
    }
    throw e;
  }
}
