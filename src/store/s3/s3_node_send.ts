/**
 * Sends one S3 request whose body is a large in-memory buffer (an upload part) through
 * `node:http(s)`. Deno's `fetch` copies a buffer body into a fresh one per request and the
 * collector lets those copies pile up (tens of MB over a stream of 8 MiB parts); node's client
 * writes straight from the caller's buffer with a fixed Content-Length, as S3 requires (it
 * refuses chunked uploads). The answer comes back as a web Response, read whole (S3's answers
 * to uploads are a few hundred bytes).
 */
import type { IncomingMessage } from "node:http";

/** Writes in slices of this size, waiting when the socket is full. */
const SLICE = 1024 * 1024;

/** Sends `body` to `url` with `headers` (already signed); aborts on `signal`. */
export async function sendBuffer(
  url: string,
  method: string,
  headers: Headers,
  body: Uint8Array,
  signal: AbortSignal,
  ca?: string,
): Promise<Response> {
  const target = new URL(url);
  // Loaded on the first upload part: node's http client adds to the start-up of every server,
  // most of which never upload to S3.
  const client = target.protocol === "https:"
    ? (await import("node:https")).default
    : (await import("node:http")).default;
  const head: Record<string, string> = Object.fromEntries(headers);
  head["content-length"] = String(body.byteLength);
  return await new Promise<Response>((resolve, reject) => {
    const done = (r: IncomingMessage) => {
      const chunks: Uint8Array[] = [];
      r.on("data", (c: Uint8Array) => chunks.push(c));
      r.on("error", reject);
      r.on("end", () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(r.headers)) {
          if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(", ") : v);
        }
        const status = r.statusCode ?? 502;
        const empty = status === 204 || status === 304 || chunks.length === 0;
        resolve(
          new Response(empty ? null : new Blob(chunks as BlobPart[]), { status, headers: h }),
        );
      });
    };
    const options = { method, headers: head, signal, ...(ca ? { ca } : {}) };
    const req = client.request(target, options, done);
    req.on("error", reject);
    (async () => {
      for (let at = 0; at < body.byteLength && !req.destroyed; at += SLICE) {
        if (!req.write(body.subarray(at, at + SLICE))) {
          // Both listeners go once either fires: a part waits on drain many times, and
          // listeners left behind would pile up on the request (node warns past 10).
          await new Promise<void>((r) => {
            const go = () => {
              req.off("drain", go);
              req.off("close", go);
              r();
            };
            req.on("drain", go);
            req.on("close", go);
          });
        }
      }
      if (!req.destroyed) req.end();
    })().catch(reject);
  });
}
