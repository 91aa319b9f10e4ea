/**
 * Path math of the mlruns tree (reference §3.1): where each entity lives, which directory names
 * are entities, file URIs as Python writes them. Pure: no I/O.
 */
import { isAbsolute, join, relative, resolve, sep } from "../../posix_path.ts";

/** Deleted experiments live here. */
export const TRASH_DIR = ".trash";
/** Metadata file of experiments, runs, datasets and inputs. */
export const META_FILE = "meta.yaml";
/**
 * The cross-process lock of experiment creation and renames. A FILE at root level, so MLflow
 * (which lists only sub-directories of the root as experiments) never sees it.
 */
export const LOCK_FILE = ".mlt.lock";
/** Prefix of temp files; they live in the entity's own directory, never among keys. */
export const TEMP_PREFIX = ".mlt-tmp-";
/** Sub-directories of the root that are not experiments. */
export const RESERVED_ROOT_DIRS: ReadonlySet<string> = new Set([TRASH_DIR, "models"]);
/** Sub-directories of an experiment that are not runs. */
export const RESERVED_EXPERIMENT_DIRS: ReadonlySet<string> = new Set([
  "tags",
  "datasets",
  "traces",
  "models",
]);
/** The kinds of per-key files of a run. */
export type RunFileKind = "metrics" | "params" | "tags";

const EXPERIMENT_ID = /^[a-zA-Z0-9][\p{L}\p{N}_\-]{0,63}$/u;
const RUN_ID = /^[a-zA-Z0-9][\p{L}\p{N}_\-]{0,255}$/u;

/** True when a root sub-directory name can be an experiment. */
export function isExperimentDirName(name: string): boolean {
  return !RESERVED_ROOT_DIRS.has(name) && EXPERIMENT_ID.test(name);
}

/** True when an experiment sub-directory name can be a run. */
export function isRunDirName(name: string): boolean {
  return !RESERVED_EXPERIMENT_DIRS.has(name) && RUN_ID.test(name);
}

/** The directory of an experiment, active or in `.trash`. */
export function experimentDir(root: string, id: string, deleted: boolean): string {
  return deleted ? join(root, TRASH_DIR, id) : join(root, id);
}

/** The directory of a run inside its experiment directory. */
export function runDir(expDir: string, runId: string): string {
  return join(expDir, runId);
}

/** The meta.yaml inside a directory. */
export function metaPath(dir: string): string {
  return join(dir, META_FILE);
}

/** The file of a metric, param or tag (keys with `/` become nested directories). */
export function runFilePath(runPath: string, kind: RunFileKind, key: string): string {
  return join(runPath, kind, ...key.split("/"));
}

/** The file of an experiment tag. */
export function experimentTagPath(expDir: string, key: string): string {
  return join(expDir, "tags", ...key.split("/"));
}

/** `<exp>/datasets/<id>` */
export function datasetDir(expDir: string, id: string): string {
  return join(expDir, "datasets", id);
}

/** `<run>/inputs/<id>` */
export function inputDir(runPath: string, id: string): string {
  return join(runPath, "inputs", id);
}

/** `<exp>/models`: the logged models of an experiment (MLflow 3). */
export function modelsDir(expDir: string): string {
  return join(expDir, "models");
}

/** `<exp>/models/<model_id>` */
export function loggedModelDir(expDir: string, modelId: string): string {
  return join(expDir, "models", modelId);
}

/** `<run>/outputs/<model_id>`: a logged model the run produced. */
export function outputDir(runPath: string, modelId: string): string {
  return join(runPath, "outputs", modelId);
}

/** A path relative to the store root in POSIX form, for messages. */
export function storeRelative(root: string, path: string): string {
  return relative(root, path).split(sep).join("/");
}

// Python's urllib.parse.quote with safe "/": everything but these bytes is percent-encoded.
const UNRESERVED = /^[A-Za-z0-9_.\-~/]$/;

/** `file://` URI of an absolute path, percent-encoded as Python's `Path.as_uri()`. */
export function fileUriFromPath(absPath: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(absPath)) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && UNRESERVED.test(ch)
      ? ch
      : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return `file://${out}`;
}

/** Appends path segments to a URI or path, as MLflow's `append_to_uri_path`. */
export function appendUriPath(base: string, ...parts: string[]): string {
  const q = base.search(/[?#]/);
  const head = q < 0 ? base : base.slice(0, q);
  const tail = q < 0 ? "" : base.slice(q);
  const joined = parts.reduce((acc, p) => `${acc.replace(/\/+$/, "")}/${p}`, head);
  return joined + tail;
}

/**
 * Makes a local artifact location absolute as MLflow's `resolve_uri_if_local`: a relative plain
 * path → absolute path, a relative `file:` URI → absolute `file://` URI; others unchanged.
 */
export function resolveUriIfLocal(uri: string, cwd: string): string {
  if (/^[a-zA-Z][a-zA-Z0-9+.\-]*:/.test(uri) && !uri.startsWith("file:")) return uri;
  if (uri.startsWith("file:")) {
    const rest = uri.slice("file:".length);
    if (rest.startsWith("/")) return uri;
    return fileUriFromPath(resolve(cwd, decodeURIComponent(rest)));
  }
  return isAbsolute(uri) ? uri : resolve(cwd, uri);
}
