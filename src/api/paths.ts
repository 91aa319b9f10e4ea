/**
 * The one validator for client-supplied paths (artifact paths, stored artifact pointers):
 * decode exactly once where the path arrives encoded, refuse anything that could leave the root
 * (now or after any further decoding), resolve symlinks and check containment. Callers use only
 * the canonical value it returns.
 */
import { join, sep } from "node:path";
import { MltError } from "../errors.ts";

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

function within(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);
}

async function lstatOrNull(p: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.lstat(p);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return null;
    throw e;
  }
}

/**
 * Resolves a validated relative path under `root` to an absolute file-system path, following
 * symlinks and refusing (400 "Invalid path") any result outside the root's real path, as well as
 * dangling links. Components that do not exist yet are appended unresolved (they hold no links).
 */
export async function resolveWithin(root: string, rel: string): Promise<string> {
  const canonical = validatePath(rel, 0);
  const realRoot = await Deno.realPath(root);
  let current = realRoot;
  const segs = canonical === "" ? [] : canonical.split("/");
  for (let i = 0; i < segs.length; i++) {
    const next = join(current, segs[i]);
    const info = await lstatOrNull(next);
    if (info === null) return join(next, ...segs.slice(i + 1));
    if (info.isSymlink) {
      let target: string;
      try {
        target = await Deno.realPath(next);
      } catch {
        throw invalidPath(); // dangling or looping link
      }
      if (!within(realRoot, target)) throw invalidPath();
      current = target;
    } else current = next;
  }
  return current;
}

/** True when `p` exists and its real path lies inside `root`'s real path. */
export async function isInside(root: string, p: string): Promise<boolean> {
  try {
    return within(await Deno.realPath(root), await Deno.realPath(p));
  } catch {
    return false;
  }
}
