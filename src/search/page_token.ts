/**
 * MLflow's offset page tokens (reference §5.1): standard base64 of Python's
 * `json.dumps({"offset": N})`, so tokens pass unchanged between mlt and MLflow.
 */
import { invalidParam } from "../errors.ts";

/** The token of the page that starts at `offset` (byte-identical to MLflow's). */
export function encodePageToken(offset: number): string {
  return btoa(`{"offset": ${Math.trunc(offset)}}`);
}

// Python's base64.b64decode without validate=True (CPython's a2b_base64): characters outside the
// alphabet are skipped, a complete padding sequence ends the input, a partial last quad is an error.
function b64decode(token: string): Uint8Array | undefined {
  let data = "", pads = 0, padded = false;
  for (const ch of token) {
    if (ch === "=") {
      const q = data.length % 4;
      if (q >= 2 && q + ++pads >= 4) {
        padded = true;
        break;
      }
    } else if (/[A-Za-z0-9+/]/.test(ch)) {
      data += ch;
      pads = 0;
    }
  }
  const q = data.length % 4;
  if (q !== 0 && !padded) return undefined;
  try {
    return Uint8Array.from(atob(data + "=".repeat((4 - q) % 4)), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** Python's repr() of a bytes value, for messages that match MLflow's. */
export function pyBytesRepr(bytes: Uint8Array): string {
  const hasSingle = bytes.includes(0x27);
  const quote = hasSingle && !bytes.includes(0x22) ? '"' : "'";
  let out = "";
  for (const b of bytes) {
    const ch = String.fromCharCode(b);
    if (b === 0x5c) out += "\\\\";
    else if (ch === quote) out += "\\" + ch;
    else if (b === 0x09) out += "\\t";
    else if (b === 0x0a) out += "\\n";
    else if (b === 0x0d) out += "\\r";
    else if (b < 0x20 || b >= 0x7f) out += "\\x" + b.toString(16).padStart(2, "0");
    else out += ch;
  }
  return `b${quote}${out}${quote}`;
}

/** Python's repr() of a parsed JSON value (dicts, lists, strings, numbers, None, booleans). */
export function pyRepr(v: unknown): string {
  if (v === null) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "string") {
    const q = v.includes("'") && !v.includes('"') ? '"' : "'";
    const body = v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\r/g, "\\r")
      .replace(/\t/g, "\\t");
    return q + (q === "'" ? body.replace(/'/g, "\\'") : body) + q;
  }
  if (typeof v === "number") return String(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  if (typeof v === "object") {
    return `{${Object.entries(v).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(", ")}}`;
  }
  return String(v);
}

/** Longest page token accepted: real ones are about 30 characters; a longer one is forged. */
export const MAX_PAGE_TOKEN_CHARS = 1000;

/** The offset a page token stands for; 0 when the token is absent or empty. */
export function decodePageToken(token: string | undefined): number {
  return decodePageTokenFields(token).offset;
}

/**
 * A token of the page at `offset` that also carries `fields` (a store's cursor): still base64 JSON
 * with MLflow's "offset", so a server that knows only offsets pages from it correctly.
 */
export function encodePageTokenFields(offset: number, fields: Record<string, unknown>): string {
  const json = JSON.stringify({ offset: Math.trunc(offset), ...fields });
  // btoa needs Latin-1: escape anything beyond ASCII (JSON allows \u escapes anywhere).
  return btoa(
    json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`),
  );
}

/** A page token's offset (0 when absent) and all its decoded fields, checked as decodePageToken. */
export function decodePageTokenFields(
  token: string | undefined,
): { offset: number; fields: Record<string, unknown> } {
  if (!token) return { offset: 0, fields: {} };
  // Bounds the work and the echo below: a megabyte token of nested JSON would otherwise be
  // parsed, walked recursively and quoted back in the message.
  if (token.length > MAX_PAGE_TOKEN_CHARS) {
    throw invalidParam(`Invalid page token, longer than ${MAX_PAGE_TOKEN_CHARS} characters`);
  }
  const bytes = b64decode(token);
  if (!bytes) throw invalidParam("Invalid page token, could not base64-decode");
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw invalidParam(`Invalid page token, decoded value=${pyBytesRepr(bytes)}`);
  }
  const badParsed = () => invalidParam(`Invalid page token, parsed value=${pyRepr(parsed)}`);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw badParsed();
  const fields = parsed as Record<string, unknown>;
  const offset = fields.offset;
  if (typeof offset === "string") {
    // MLflow accepts int("12"); anything else is "not stringable" there.
    if (!/^\s*\+?\d+\s*$/.test(offset)) {
      throw invalidParam(`Invalid page token, not stringable ${offset}`);
    }
    const n = Number(offset.trim());
    if (n > 0 && Number.isSafeInteger(n)) return { offset: n, fields };
    throw badParsed();
  }
  // Python's int() truncates floats; negative, zero and non-numeric offsets are refused.
  if (typeof offset === "number" && offset >= 1 && Number.isFinite(offset)) {
    const n = Math.trunc(offset);
    if (Number.isSafeInteger(n)) return { offset: n, fields };
  }
  throw badParsed();
}
