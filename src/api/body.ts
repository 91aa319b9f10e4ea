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

/** Yields the body's chunks, failing with 413 as soon as more than `cap` bytes arrived. */
export async function* cappedChunks(req: Request, cap: number): AsyncGenerator<Uint8Array> {
  checkDeclaredLength(req, cap);
  if (!req.body) return;
  let total = 0;
  const reader = req.body.getReader();
  try {
    while (true) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch {
        // The client hung up mid-body: its mistake (CANCELLED, 499), not a server bug.
        throw new MltError("CANCELLED", "The request body ended early: the client disconnected");
      }
      const { done, value } = chunk;
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

/** Reads the whole body into memory, refusing more than `cap` bytes. */
export async function readCapped(req: Request, cap: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of cappedChunks(req, cap)) {
    parts.push(chunk);
    total += chunk.byteLength;
  }
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
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
