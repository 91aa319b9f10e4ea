/**
 * Keeps local artifact directories out of a file store's own metadata. Inside an mlruns tree the
 * only artifact roots are a run's `<exp>/<run>/artifacts/` (and a logged model's
 * `<exp>/models/<id>/artifacts/`): anywhere else, an upload would write params, metrics, tags or
 * meta.yaml files of other runs, even deleted ones. Checked where locations are accepted and
 * again where they are dereferenced.
 */
import { dirname, fileURLToPath, join, resolve, sep } from "../posix_path.ts";
import { invalidParam } from "../errors.ts";
import { isExperimentDirName, isRunDirName, META_FILE, TRASH_DIR } from "./file/layout.ts";

/** True when `segs` (a path below a store root, split) is inside an artifact root proper. */
export function isArtifactArea(segs: readonly string[]): boolean {
  if (segs.length < 3 || !isExperimentDirName(segs[0])) return false;
  if (isRunDirName(segs[1]) && segs[2] === "artifacts") return true;
  return segs[1] === "models" && segs.length >= 4 && segs[3] === "artifacts";
}

function statOrNull(path: string): Deno.FileInfo | null {
  try {
    return Deno.statSync(path);
  } catch {
    return null;
  }
}

/**
 * The real path of `p`: its deepest existing ancestor resolved through links, plus the rest. A
 * dangling link is followed to where it points (whoever creates the path creates it there).
 */
export function realPathOf(p: string): string {
  let head = resolve(p);
  let tail: string[] = [];
  for (let hops = 0;;) {
    try {
      return join(Deno.realPathSync(head), ...tail.reverse());
    } catch {
      let link: string | undefined;
      try {
        if (hops < 40 && Deno.lstatSync(head).isSymlink) link = Deno.readLinkSync(head);
      } catch { /* absent: climb */ }
      if (link !== undefined) {
        hops++;
        head = resolve(dirname(head), link);
        continue;
      }
      const up = dirname(head);
      if (up === head) return join(head, ...tail.reverse());
      tail = [...tail, head.slice(up.length).replace(/^[\\/]+/, "")];
      head = up;
    }
  }
}

// MLflow's marks of an initialised file store: `.trash/` and the default experiment's meta.yaml.
function looksLikeStoreRoot(dir: string): boolean {
  if (!statOrNull(join(dir, TRASH_DIR))?.isDirectory) return false;
  return !!(statOrNull(join(dir, "0", META_FILE))?.isFile ||
    statOrNull(join(dir, TRASH_DIR, "0", META_FILE))?.isFile);
}

/** What bounds artifact directories: known file store roots and configured artifact roots. */
export interface StoreBounds {
  /** File store roots (found by their marks too, when not listed). */
  stores?: readonly string[];
  /**
   * Artifact roots the operator configured (`--default-artifact-root`, `--artifacts-destination`):
   * one that lies inside a store (not the store's root itself) is an artifact area as a whole.
   */
  artifactRoots?: readonly string[];
}

function within(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Why the local directory `dir` must not hold artifacts (it lies in the metadata of a file store
 * of `bounds` or of any mlruns tree found above it), or undefined when it may.
 */
export function metadataConflict(dir: string, bounds: StoreBounds = {}): string | undefined {
  const real = realPathOf(dir);
  const roots = new Set((bounds.stores ?? []).map(realPathOf));
  for (let d = real;; d = dirname(d)) {
    if (!roots.has(d) && looksLikeStoreRoot(d)) roots.add(d);
    if (dirname(d) === d) break;
  }
  const configured = (bounds.artifactRoots ?? []).map(realPathOf).filter((a) => within(a, real));
  for (const root of roots) {
    if (!within(root, real)) continue;
    if (configured.some((a) => a !== root && within(root, a))) continue;
    const segs = real === root ? [] : real.slice(root.length).replace(/^[\\/]+/, "").split(sep);
    if (!isArtifactArea(segs)) {
      // Store-relative, so a server's answer does not disclose where its store lives.
      return `it lies inside a tracking store's metadata ("${segs.join("/") || "."}" of the ` +
        "store); there, artifacts may only live in a run's artifacts folder";
    }
  }
  return undefined;
}

/** Throws INVALID_PARAMETER_VALUE when `dir` lies in a file store's metadata (see above). */
export function checkArtifactDir(
  dir: string,
  bounds: StoreBounds = {},
  what = "artifact location",
): void {
  const why = metadataConflict(dir, bounds);
  if (why !== undefined) throw invalidParam(`Invalid ${what}: ${why}`);
}

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.\-]*):/;

/** The local directory of a plain path or `file:` URI; undefined for other schemes. */
export function localArtifactDir(uri: string): string | undefined {
  const scheme = SCHEME.exec(uri)?.[1].toLowerCase();
  if (scheme === undefined) return resolve(uri);
  if (scheme !== "file") return undefined;
  if (!uri.startsWith("file://")) return resolve(decodeURIComponent(uri.slice(5)));
  try {
    return fileURLToPath(uri);
  } catch (e) {
    throw invalidParam(`Invalid file URI "${uri}": ${(e as Error).message}`);
  }
}

/** checkArtifactDir for an artifact URI: local paths and `file:` URIs; other schemes pass. */
export function checkArtifactUri(
  uri: string,
  bounds: StoreBounds = {},
  what = "artifact location",
): void {
  // A file: URI naming another host is never a local directory, so never in a local store.
  const dir = tryLocalDir(uri);
  if (dir !== undefined) checkArtifactDir(dir, bounds, what);
}

/** The local directory of an artifact URI, or undefined when it names none (another scheme or host). */
export function tryLocalDir(uri: string): string | undefined {
  try {
    return localArtifactDir(uri);
  } catch {
    return undefined;
  }
}
