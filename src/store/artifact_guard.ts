/**
 * Keeps local artifact directories out of a file store's own metadata. Inside an mlruns tree the
 * only artifact roots are a run's `<exp>/<run>/artifacts/` (and a logged model's
 * `<exp>/models/<id>/artifacts/`): anywhere else, an upload would write params, metrics, tags or
 * meta.yaml files of other runs, even deleted ones. Checked where locations are accepted and
 * again where they are dereferenced.
 */
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
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

/** The real path of `p`: its deepest existing ancestor resolved through links, plus the rest. */
export function realPathOf(p: string): string {
  let head = resolve(p);
  const tail: string[] = [];
  for (;;) {
    try {
      return join(Deno.realPathSync(head), ...tail.reverse());
    } catch {
      const up = dirname(head);
      if (up === head) return resolve(p);
      tail.push(head.slice(up.length).replace(/^[\\/]+/, ""));
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

/**
 * Why the local directory `dir` must not hold artifacts (it lies in the metadata of the file
 * store at `knownRoots` or of any mlruns tree found above it), or undefined when it may.
 */
export function metadataConflict(
  dir: string,
  knownRoots: readonly string[] = [],
): string | undefined {
  const real = realPathOf(dir);
  const roots = new Set(knownRoots.map(realPathOf));
  for (let d = real;; d = dirname(d)) {
    if (!roots.has(d) && looksLikeStoreRoot(d)) roots.add(d);
    if (dirname(d) === d) break;
  }
  for (const root of roots) {
    if (real !== root && !real.startsWith(root.endsWith(sep) ? root : root + sep)) continue;
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
  knownRoots: readonly string[] = [],
  what = "artifact location",
): void {
  const why = metadataConflict(dir, knownRoots);
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
  knownRoots: readonly string[] = [],
  what = "artifact location",
): void {
  let dir: string | undefined;
  try {
    dir = localArtifactDir(uri);
  } catch {
    return; // a file: URI naming another host: never a local directory, so never this store
  }
  if (dir !== undefined) checkArtifactDir(dir, knownRoots, what);
}
