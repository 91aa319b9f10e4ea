/**
 * The one validator for client-supplied paths (artifact paths, stored artifact pointers):
 * decode exactly once where the path arrives encoded, refuse anything that could leave the root
 * (now or after any further decoding), resolve symlinks and check containment. Callers use only
 * the canonical value it returns.
 */
import { join, sep } from "node:path";
import { invalidPath, validatePath } from "../store/artifact_path.ts";

export { invalidPath, validatePath };

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
