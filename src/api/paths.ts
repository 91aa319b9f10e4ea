/**
 * The one validator for client-supplied paths (artifact paths, stored artifact pointers):
 * decode to a fixed point, refuse anything that could leave the root, resolve symlinks and check
 * containment. Callers use only the canonical value it returns.
 */
import { join, sep } from "node:path";
import { MltError } from "../errors.ts";

/** MLflow's fixed answer to an unsafe path. */
export function invalidPath(): MltError {
  return new MltError("INVALID_PARAMETER_VALUE", "Invalid path");
}

// Decodes every well-formed %XX run; malformed escapes stay as they are (like urllib's unquote).
function percentDecode(s: string): string {
  return s.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      throw invalidPath(); // not UTF-8
    }
  });
}

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const DRIVE = /^[a-zA-Z]:/;

/**
 * Returns the canonical relative form of a client path ("" for the root), or throws 400
 * "Invalid path". Refuses NUL and control characters, `\`, drive letters, `#`, `;`, URIs,
 * absolute paths and any `..` segment, after decoding percent escapes until nothing changes.
 */
export function validatePath(raw: string): string {
  let s = raw;
  for (let i = 0;; i++) {
    const next = percentDecode(s);
    if (next === s) break;
    if (i > 8) throw invalidPath(); // nested more deeply than any honest client encodes
    s = next;
  }
  if (
    CONTROL.test(s) || s.includes("\\") || s.includes("#") || s.includes(";") ||
    DRIVE.test(s) || /^file:/i.test(s) || s.startsWith("/") || s.startsWith("~")
  ) {
    throw invalidPath();
  }
  const parts: string[] = [];
  for (const seg of s.split("/")) {
    if (seg === "..") throw invalidPath();
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
  const canonical = validatePath(rel);
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
