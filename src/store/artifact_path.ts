/**
 * Artifact paths as users and servers give them: relative POSIX paths, checked once. The one
 * validator for client-supplied paths (`validatePath`) lives here, below the stores, so that S3
 * object keys and local file names come from the same canonical form (api/paths.ts re-exports it).
 */
import { invalidParam, MltError } from "../errors.ts";

/** MLflow's fixed answer to an unsafe path. */
export function invalidPath(): MltError {
  return new MltError("INVALID_PARAMETER_VALUE", "Invalid path");
}

// Decodes every well-formed %XX run; malformed escapes stay as they are (like urllib's unquote).
// Runs that are not UTF-8 throw `invalidPath()`, or stay as they are when `lenient`.
function percentDecode(s: string, lenient = false): string {
  return s.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      if (lenient) return run;
      throw invalidPath(); // not UTF-8
    }
  });
}

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const DRIVE = /^[a-zA-Z]:/;

function isUnsafe(s: string): boolean {
  return CONTROL.test(s) || s.includes("\\") || s.includes("#") || s.includes(";") ||
    DRIVE.test(s) || /^file:/i.test(s) || s.startsWith("/") || s.startsWith("~") ||
    s.split("/").includes("..");
}

/**
 * Returns the canonical relative form of a client path ("" for the root), or throws 400
 * "Invalid path". `raw` is decoded exactly `decodes` times: 1 for a raw URL path or a URI, 0 for
 * a value that arrived decoded (a query parameter, a JSON field, a file name), so a file named
 * `a%20b.txt` keeps its name. Refuses NUL and control characters, `\`, drive letters, `#`, `;`,
 * URIs, absolute paths and any `..` segment, in the value and in what any number of further
 * decodings would make of it.
 */
export function validatePath(raw: string, decodes: 0 | 1): string {
  const s = decodes === 1 ? percentDecode(raw) : raw;
  let further = s;
  for (let i = 0;; i++) {
    if (isUnsafe(further)) throw invalidPath();
    const next = percentDecode(further, true);
    if (next === further) break;
    if (i > 8) throw invalidPath(); // nested more deeply than any honest client encodes
    further = next;
  }
  const parts: string[] = [];
  for (const seg of s.split("/")) {
    if (seg === "" || seg === ".") continue;
    parts.push(seg);
  }
  return parts.join("/");
}

/** A relative artifact path in POSIX form; refuses `..`, absolute paths, `\` and NUL. */
export function checkArtifactPath(path: string): string {
  const p = path.replace(/^\.\/+/, "").replace(/\/+$/, "");
  if (p === "" || p === ".") return "";
  if (
    p.startsWith("/") || p.includes("\\") || p.includes("\0") ||
    p.split("/").some((s) => s === ".." || s === "." || s === "")
  ) {
    throw invalidParam(`Invalid artifact path "${path}": expected a relative path without ".."`);
  }
  return p;
}
