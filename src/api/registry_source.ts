/**
 * `model-versions/create`'s source checks, as MLflow's handlers make them: a `models:/` source is
 * resolved to the version it names (lineage), local paths must lie inside the run's (or logged
 * model's) artifact directory, `mlflow-artifacts` sources inside its artifact root, `runs:/`
 * sources must name the given run, and no source may hide `..` or address another host. A source
 * is only ever parsed here, never opened.
 */
import { basename, dirname, isAbsolute, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { invalidParam, MltError, notFound } from "../errors.ts";
import { isPromptTags, type ModelVersion } from "../registry_model.ts";
import { isModelsUri, parseModelUri } from "../registry_uri.ts";
import type { ModelRegistryStore } from "../store/registry.ts";
import { loggedModel } from "../store/registry_download.ts";
import type { TrackingStore } from "../store/store.ts";
import { posixNormpath } from "../validate.ts";

const HOST_ADDRESSED = new Set([
  "ftp",
  "sftp",
  "hdfs",
  "viewfs",
  "http",
  "https",
  "mlflow-artifacts",
  "r2",
  "b2",
  "abfss",
]);
const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.\-]*):/;

function invalidSource(source: string, idName: string): MltError {
  return invalidParam(
    `Invalid model version source: '${source}'. The ${idName} request parameter must identify ` +
      "the resource that contains the source.",
  );
}

function schemeOf(uri: string): string {
  return SCHEME.exec(uri)?.[1].toLowerCase() ?? "";
}

function authority(uri: string): string {
  return /^[a-zA-Z][a-zA-Z0-9+.\-]*:\/\/([^/?#]*)/.exec(uri)?.[1] ?? "";
}

// urllib's unquote_plus, applied until nothing changes.
function unquoteAll(s: string, plus: boolean): string {
  for (let i = 0; i < 16; i++) {
    const next = (plus ? s.replace(/\+/g, " ") : s).replace(
      /(?:%[0-9a-fA-F]{2})+/g,
      (run) => {
        try {
          return decodeURIComponent(run);
        } catch {
          return run;
        }
      },
    );
    if (next === s) return s;
    s = next;
  }
  return s;
}

function uriPath(uri: string): string {
  const rest = uri.replace(SCHEME, "").replace(/^\/\/[^/?#]*/, "");
  return rest.split(/[?#]/)[0];
}

/** Refuses a non-local source that could resolve elsewhere: `..`, NUL, `.` or a relative path. */
export function checkNoRelativeParts(source: string): void {
  const s = unquoteAll(source, true);
  const path = uriPath(s).replace(/\/+$/, "").replace(/\/+/g, "/");
  const bad = path.includes("\0") || s.split("/").includes("..") ||
    !path.startsWith("/") || posixNormpath(path) !== path;
  if (bad) {
    throw invalidParam(
      `Invalid model version source: '${source}'. If supplying a source as an http, https, ` +
        "local file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path must be " +
        "provided without relative path references present. Please provide an absolute path.",
    );
  }
}

/** Refuses URIs that would make the server connect to a host a client named. */
export function checkNotHostAddressed(source: string): void {
  const scheme = schemeOf(source);
  if (!HOST_ADDRESSED.has(scheme)) return;
  if (scheme === "mlflow-artifacts" && authority(source) === "") return;
  throw invalidParam(
    `'source' cannot use the '${scheme}' scheme: the '${scheme}' scheme addresses a host other ` +
      "than the tracking server's configured artifact storage, so the server would connect to " +
      "the host named in the URI. mlt does not store such sources.",
  );
}

function isLocal(uri: string): boolean {
  const scheme = schemeOf(uri);
  if (scheme === "") return true;
  if (scheme !== "file") return false;
  const host = authority(uri).toLowerCase();
  if (
    host !== "" && host !== "." && !host.startsWith("localhost") && !host.startsWith("127.0.0.1")
  ) {
    throw invalidParam(`${uri} is not a valid remote uri.`);
  }
  return true;
}

// The absolute local path of a plain path or file: URI, with symlinks of its existing part
// resolved (Python's Path.resolve()).
function localPath(uri: string): string {
  let p: string;
  if (!uri.startsWith("file:")) p = resolve(uri);
  else if (!uri.startsWith("file://")) p = resolve(decodeURIComponent(uri.slice(5)));
  else p = fileURLToPath("file://" + uri.slice(7).replace(/^[^/]*/, ""));
  const tail: string[] = [];
  for (let head = p;; head = dirname(head)) {
    try {
      return join(Deno.realPathSync(head), ...tail);
    } catch {
      if (dirname(head) === head) return p;
      tail.unshift(basename(head));
    }
  }
}

function within(dir: string, p: string): boolean {
  return p === dir || p.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

function parts(uri: string): [string, string, string[]] {
  const path = uriPath(uri).split("/").filter(Boolean).map((x) => unquoteAll(x, false));
  return [schemeOf(uri), authority(uri).toLowerCase(), path];
}

function uriWithin(source: string, root: string): boolean {
  const [s, sa, sp] = parts(source);
  const [r, ra, rp] = parts(root);
  return s === r && sa === ra && rp.length > 0 && rp.every((x, i) => sp[i] === x);
}

function isArtifactSource(source: string): boolean {
  const [scheme, , path] = parts(source);
  if (scheme === "mlflow-artifacts") return true;
  const route = ["api", "2.0", "mlflow-artifacts", "artifacts"];
  return (scheme === "http" || scheme === "https") &&
    path.some((_, i) => route.every((r, j) => path[i + j] === r));
}

// Whether `source` lies in the artifact directory or root `location` (local or not).
function inLocation(source: string, location: string, local: boolean): boolean {
  if (local) {
    if (!isLocal(location)) return false;
    const dir = localPath(location);
    return isAbsolute(dir) && within(dir, localPath(source));
  }
  return uriWithin(source, location);
}

async function sourceRun(store: TrackingStore, runId: string, source: string) {
  try {
    return await store.getRun(runId);
  } catch (e) {
    if (e instanceof MltError && e.code === "RESOURCE_DOES_NOT_EXIST") {
      throw invalidSource(source, "run_id");
    }
    throw e;
  }
}

async function sourceModel(store: TrackingStore, modelId: string, source: string) {
  try {
    return await loggedModel(store, modelId);
  } catch (e) {
    if (e instanceof MltError && e.code === "RESOURCE_DOES_NOT_EXIST") {
      throw invalidSource(source, "model_id");
    }
    throw e;
  }
}

function localMessage(source: string, idName: string): MltError {
  return invalidParam(
    `Invalid model version source: '${source}'. To use a local path as a model version source, ` +
      `the ${idName} request parameter has to be specified and the local path has to be ` +
      `contained within the artifact directory of the run specified by the ${idName}.`,
  );
}

/** MLflow's `_validate_source_run`: the source must belong to the run `runId`. */
export async function checkRunSource(
  store: TrackingStore,
  source: string,
  runId: string | undefined,
): Promise<void> {
  if (isLocal(source)) {
    if (runId) {
      const run = await sourceRun(store, runId, source);
      if (inLocation(source, run.info.artifactUri, true)) return;
    }
    throw localMessage(source, "run_id");
  }
  checkNoRelativeParts(source);
  const scheme = schemeOf(source);
  if (scheme === "runs") {
    const id = uriPath(source).replace(/^\//, "").split("/")[0];
    if (authority(source) === "" && runId && id === runId) return;
    throw invalidSource(source, "run_id");
  }
  if (scheme === "models") {
    if (authority(source) !== "" || parseModelUri(source).modelId !== undefined) {
      throw invalidSource(source, "model_id");
    }
  }
  if (isArtifactSource(source)) {
    if (runId) {
      const run = await sourceRun(store, runId, source);
      if (uriWithin(source, run.info.artifactUri)) return;
    }
    throw invalidSource(source, "run_id");
  }
}

/** MLflow's `_validate_source_model`: the source must belong to the logged model `modelId`. */
export async function checkModelSource(
  store: TrackingStore,
  source: string,
  modelId: string,
): Promise<void> {
  if (isLocal(source)) {
    const model = await sourceModel(store, modelId, source);
    if (inLocation(source, model.artifactLocation, true)) return;
    throw localMessage(source, "model_id");
  }
  checkNoRelativeParts(source);
  const scheme = schemeOf(source);
  if (scheme === "models") {
    if (authority(source) !== "") throw invalidSource(source, "model_id");
    const id = parseModelUri(source).modelId;
    if (id !== undefined) {
      if (id === modelId) return;
      throw invalidSource(source, "model_id");
    }
  }
  if (scheme === "runs") throw invalidSource(source, "model_id");
  if (isArtifactSource(source)) {
    const model = await sourceModel(store, modelId, source);
    if (uriWithin(source, model.artifactLocation)) return;
    throw invalidSource(source, "model_id");
  }
}

/** A source, run id and model id after a `models:/<name>/…` source was resolved to its version. */
export interface Lineage {
  source: string;
  runId?: string;
  modelId?: string;
}

// The version a `models:/` URI (without a model id) names: by number, alias, stage or latest.
async function namedVersion(reg: ModelRegistryStore, source: string): Promise<ModelVersion> {
  const u = parseModelUri(source);
  const name = u.name!;
  if (u.version !== undefined) return await reg.getModelVersion(name, u.version);
  if (u.alias !== undefined) return await reg.getModelVersionByAlias(name, u.alias);
  const latest = await reg.getLatestVersions(name, u.stage ? [u.stage] : undefined);
  if (latest.length === 0) {
    const stage = u.stage ? ` and stage '${u.stage}'` : "";
    throw notFound(`No versions of model with name '${name}'${stage} found`);
  }
  const top = latest.reduce((a, b) => (b.version > a.version ? b : a));
  return await reg.getModelVersion(name, top.version);
}

/**
 * MLflow's `_resolve_registered_model_source_lineage`: a `models:/<name>/<version|alias|stage>`
 * source becomes `models:/<name>/<version>`, and the run and model ids default to that version's.
 */
export async function resolveLineage(
  reg: ModelRegistryStore,
  l: Lineage,
): Promise<Lineage> {
  if (!isModelsUri(l.source)) return l;
  if (authority(l.source) !== "") {
    throw invalidParam(
      `Invalid model version source: '${l.source}'. Registered model sources must use the ` +
        "active model registry.",
    );
  }
  let u;
  try {
    u = parseModelUri(l.source);
  } catch {
    throw invalidSource(l.source, "model_id");
  }
  if (u.modelId !== undefined) return l;
  const model = await reg.getRegisteredModel(u.name!);
  if (isPromptTags(model.tags)) {
    throw invalidParam(
      `Invalid model version source: '${l.source}'. Prompt versions cannot be used as model ` +
        "version sources.",
    );
  }
  const v = await namedVersion(reg, l.source);
  if (
    (l.runId !== undefined && l.runId !== (v.runId ?? "")) ||
    (l.modelId !== undefined && l.modelId !== (v.modelId ?? ""))
  ) {
    throw invalidParam(
      `Invalid model version source: '${l.source}'. The run_id and model_id request parameters ` +
        "must match the referenced model version.",
    );
  }
  return {
    source: `models:/${model.name}/${v.version}`,
    runId: l.runId !== undefined ? l.runId : v.runId,
    modelId: l.modelId !== undefined ? l.modelId : v.modelId,
  };
}
