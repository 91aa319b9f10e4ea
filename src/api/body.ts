/** Request bodies under a size cap (413 before the whole body is read) and MLflow's lenient JSON. */
import { HttpError, invalidParam, MltError } from "../errors.ts";
import { BodySource, type SourceRead } from "./body_source.ts";

// In errors.ts, so the security middleware (at start) answers with it without loading this file.
export { HttpError } from "../errors.ts";

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

// Size of the one buffer an upload is read through.
const CHUNK = 64 * 1024;

/**
 * The time limits of one body read, with one timer per body rather than one per chunk (a body
 * sent a byte at a time would otherwise set and clear a timer per byte). When a limit passes, the
 * read is cancelled and `expired` holds the 408 to throw.
 */
class BodyWatch {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #last = Date.now();
  readonly #deadline: number;
  /** The 408 once a limit has passed. */
  expired: HttpError | undefined;

  constructor(private readonly source: BodySource, private readonly t: BodyTimeouts) {
    this.#deadline = t.totalMs === undefined ? Infinity : Date.now() + t.totalMs;
    this.#arm();
  }

  #arm(): void {
    const idleAt = this.t.idleMs === undefined ? Infinity : this.#last + this.t.idleMs;
    const at = Math.min(this.#deadline, idleAt);
    if (at === Infinity) return;
    this.#timer = setTimeout(() => {
      const now = Date.now();
      if (now >= this.#deadline) this.expired = tooSlow(this.t.totalMs!);
      else if (this.t.idleMs !== undefined && now - this.#last >= this.t.idleMs) {
        this.expired = tooSlow(this.t.idleMs);
      }
      if (this.expired) this.source.cancel();
      else this.#arm(); // bytes came since: wait for the rest of the new period
    }, Math.max(0, at - Date.now()));
  }

  /** Records that bytes arrived. */
  progress(): void {
    this.#last = Date.now();
  }

  /** One read, failing with the 408 when a limit passed, CANCELLED when the client hung up. */
  async read(view: Uint8Array): Promise<SourceRead> {
    let r: SourceRead;
    try {
      r = await this.source.read(view);
    } catch {
      if (this.expired) throw this.expired;
      // The client hung up mid-body: its mistake (CANCELLED, 499), not a server bug.
      throw new MltError("CANCELLED", "The request body ended early: the client disconnected");
    }
    if (this.expired) throw this.expired;
    this.progress();
    return r;
  }

  /** Stops the timer and the read. */
  close(): void {
    clearTimeout(this.#timer);
    this.source.cancel();
  }
}

/**
 * Yields the body in chunks read through one 64 KiB buffer, each valid until the next is asked
 * for; fails with 413 as soon as more than `cap` bytes arrived, and with 408 when the body takes
 * longer than `timeouts` allow (a slow client holds no server for long).
 */
export async function* cappedChunks(
  req: Request,
  cap: number,
  timeouts: BodyTimeouts = {},
): AsyncGenerator<Uint8Array> {
  checkDeclaredLength(req, cap);
  if (!req.body) return;
  const watch = new BodyWatch(new BodySource(req.body), timeouts);
  let buf = new Uint8Array(CHUNK);
  let total = 0;
  try {
    while (true) {
      const r = await watch.read(buf);
      buf = new Uint8Array(r.bytes.buffer as ArrayBuffer); // a BYOB read hands the buffer back
      if (r.done) return;
      total += r.bytes.byteLength;
      if (total > cap) throw tooLarge(cap);
      yield r.bytes;
    }
  } finally {
    watch.close();
  }
}

/**
 * Reads the whole body into one buffer, refusing more than `cap` bytes or a body slower than
 * `timeoutMs`. The buffer starts at the declared length (at most 64 KiB) and doubles as bytes
 * arrive, so memory stays under twice the bytes received, whatever Content-Length claims and
 * however small the pieces the client sends.
 */
export async function readCapped(
  req: Request,
  cap: number,
  timeoutMs: number = DEFAULT_BODY_TIMEOUT_MS,
): Promise<Uint8Array> {
  checkDeclaredLength(req, cap);
  if (!req.body) return new Uint8Array(0);
  const declared = Number(req.headers.get("content-length") ?? NaN);
  // One byte more than declared, so the end of the body is read without growing.
  let buf = new Uint8Array(Number.isInteger(declared) ? Math.min(declared + 1, CHUNK) : 1024);
  let size = 0;
  const watch = new BodyWatch(new BodySource(req.body), { totalMs: timeoutMs });
  try {
    while (true) {
      if (size === buf.byteLength) {
        if (size > cap) throw tooLarge(cap);
        const grown = new Uint8Array(Math.min(buf.byteLength * 2, cap + 1));
        grown.set(buf);
        buf = grown;
      }
      const r = await watch.read(buf.subarray(size));
      buf = new Uint8Array(r.bytes.buffer as ArrayBuffer);
      if (r.done) break;
      size += r.bytes.byteLength;
      if (size > cap) throw tooLarge(cap);
    }
  } finally {
    watch.close();
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
 * `parse` replaces JSON.parse (py_json.ts re-reads numbers with their source text).
 */
export function parseJsonBody(
  bytes: Uint8Array,
  parse: (text: string) => unknown = JSON.parse,
): Record<string, unknown> {
  const text = new TextDecoder().decode(bytes);
  if (text.trim() === "") return {};
  const tooDeep = () =>
    invalidParam(`Malformed JSON in the request body: nested more than ${MAX_JSON_DEPTH} levels`);
  if (nestedDeeperThan(text, MAX_JSON_DEPTH)) throw tooDeep();
  let v: unknown;
  try {
    v = parse(text);
    if (typeof v === "string") {
      if (nestedDeeperThan(v, MAX_JSON_DEPTH)) throw tooDeep();
      v = parse(v);
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
