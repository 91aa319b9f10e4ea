/** Request bodies under a size cap (413 before the whole body is read) and MLflow's lenient JSON. */
import { type ErrorCode, invalidParam, MltError } from "../errors.ts";

/** An MltError answered with an HTTP status outside MLflow's code table (413, 405, 403 …). */
export class HttpError extends MltError {
  readonly #status: number;

  constructor(code: ErrorCode, message: string, status: number) {
    super(code, message);
    this.#status = status;
  }

  /** The HTTP status this error is answered with. */
  override get status(): number {
    return this.#status;
  }
}

/** The 413 answer for a body over `cap` bytes. */
export function tooLarge(cap: number): HttpError {
  return new HttpError(
    "RESOURCE_EXHAUSTED",
    `Request body exceeds the limit of ${cap} bytes`,
    413,
  );
}

/** Refuses a request whose declared Content-Length is over `cap` without reading it. */
export function checkDeclaredLength(req: Request, cap: number): void {
  const len = req.headers.get("content-length");
  if (len !== null && Number(len) > cap) throw tooLarge(cap);
}

/** Default time a request body may take: whole (JSON, forms) or between two chunks (uploads). */
export const DEFAULT_BODY_TIMEOUT_MS = 60_000;

/** Time limits of a body read (ms): since the first read, and between two chunks. */
export interface BodyTimeouts {
  totalMs?: number;
  idleMs?: number;
}

/** The 408 answer for a body that arrives too slowly. */
export function tooSlow(ms: number): HttpError {
  return new HttpError(
    "DEADLINE_EXCEEDED",
    `The request body did not arrive within ${ms / 1000} s`,
    408,
  );
}

/**
 * Yields the body's chunks, failing with 413 as soon as more than `cap` bytes arrived, and with
 * 408 when the body takes longer than `timeouts` allow (a slow client holds no server for long).
 */
export async function* cappedChunks(
  req: Request,
  cap: number,
  timeouts: BodyTimeouts = {},
): AsyncGenerator<Uint8Array> {
  checkDeclaredLength(req, cap);
  if (!req.body) return;
  let total = 0;
  const reader = req.body.getReader();
  const deadline = timeouts.totalMs === undefined ? Infinity : Date.now() + timeouts.totalMs;
  try {
    while (true) {
      const wait = Math.min(deadline - Date.now(), timeouts.idleMs ?? Infinity);
      if (wait <= 0) throw tooSlow(timeouts.totalMs!);
      const { done, value } = await readWithin(reader, wait, timeouts);
      if (done) return;
      total += value.byteLength;
      if (total > cap) throw tooLarge(cap);
      yield value;
    }
  } finally {
    // Stop reading (and let the connection drop the rest) when the caller gives up early.
    reader.cancel().catch(() => {});
  }
}

// One read of the body, or a 408 after `ms` (Infinity: no timer).
async function readWithin(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  ms: number,
  timeouts: BodyTimeouts,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const read = reader.read().catch(() => {
    // The client hung up mid-body: its mistake (CANCELLED, 499), not a server bug.
    throw new MltError("CANCELLED", "The request body ended early: the client disconnected");
  });
  if (ms === Infinity) return await read;
  try {
    return await Promise.race([
      read,
      new Promise<never>((_, fail) => {
        const which = ms === timeouts.idleMs ? timeouts.idleMs : timeouts.totalMs!;
        timer = setTimeout(() => fail(tooSlow(which)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads the whole body into memory, refusing more than `cap` bytes or a body slower than
 * `timeoutMs`. Chunks are copied into one buffer grown by doubling: Deno hands each read its own
 * 64 KiB buffer, so keeping the chunks of a body trickling in byte by byte would hold 64 KiB per
 * byte. Memory stays under twice the bytes received, whatever Content-Length claims.
 */
export async function readCapped(
  req: Request,
  cap: number,
  timeoutMs: number = DEFAULT_BODY_TIMEOUT_MS,
): Promise<Uint8Array> {
  let buf = new Uint8Array(0);
  let size = 0;
  for await (const chunk of cappedChunks(req, cap, { totalMs: timeoutMs })) {
    if (size + chunk.byteLength > buf.byteLength) {
      const want = Math.min(Math.max(buf.byteLength * 2, 1024), cap);
      const grown = new Uint8Array(Math.max(size + chunk.byteLength, want));
      grown.set(buf.subarray(0, size));
      buf = grown;
    }
    buf.set(chunk, size);
    size += chunk.byteLength;
  }
  return buf.subarray(0, size);
}

/** Deepest JSON nesting accepted (protobuf's own parse limit; MLflow's messages need 4). */
export const MAX_JSON_DEPTH = 100;

/**
 * True when JSON text nests arrays and objects more than `max` levels deep. One pass over the
 * text that stops at the first level too deep, so a body of 10 million `[` costs nothing, while
 * JSON.parse would take seconds and echoing it back in an error even longer.
 */
export function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const b = text.charCodeAt(i);
    if (inString) {
      if (b === 0x5c) i++; // backslash: skip the escaped byte
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x5b || b === 0x7b) {
      if (++depth > max) return true;
    } else if (b === 0x5d || b === 0x7d) depth--;
  }
  return false;
}

/**
 * Parses a JSON request body as MLflow does: empty → `{}`, a JSON string holding JSON (old
 * clients) is decoded again. Unlike MLflow, malformed JSON and non-objects are a 400, not `{}`.
 */
export function parseJsonBody(bytes: Uint8Array): Record<string, unknown> {
  const text = new TextDecoder().decode(bytes);
  if (text.trim() === "") return {};
  const tooDeep = () =>
    invalidParam(`Malformed JSON in the request body: nested more than ${MAX_JSON_DEPTH} levels`);
  if (nestedDeeperThan(text, MAX_JSON_DEPTH)) throw tooDeep();
  let v: unknown;
  try {
    v = JSON.parse(text);
    if (typeof v === "string") {
      if (nestedDeeperThan(v, MAX_JSON_DEPTH)) throw tooDeep();
      v = JSON.parse(v);
    }
  } catch (e) {
    if (e instanceof MltError) throw e;
    throw invalidParam("Malformed JSON in the request body");
  }
  if (v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) {
    throw invalidParam("The request body must be a JSON object");
  }
  return v as Record<string, unknown>;
}
