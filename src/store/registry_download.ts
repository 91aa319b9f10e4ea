/**
 * Where a model version's files are: its download URI (`runs:/…`, `models:/m-…`,
 * `models:/<name>/<version>` or an artifact URI) resolved through the tracking store and the
 * registry, as MLflow's server and client resolve it. Also the registry's narrow view of logged
 * models, which TrackingStore provides once it keeps them.
 */
import type { Tag } from "../model.ts";
import { MltError } from "../errors.ts";
import { isModelsUri, parseModelUri } from "../registry_uri.ts";
import { appendUriPath } from "./file/layout.ts";
import type { ModelRegistryStore } from "./registry.ts";
import type { TrackingStore } from "./store.ts";

/** What the registry needs of a logged model (TrackingStore's LoggedModel, once it has one). */
export interface LoggedModelRef {
  modelId: string;
  artifactLocation: string;
  sourceRunId?: string;
  tags?: Tag[] | Record<string, string>;
}

/** The two logged-model operations the registry uses, as TrackingStore declares them. */
export interface LoggedModelOps {
  getLoggedModel(modelId: string): Promise<LoggedModelRef>;
  setLoggedModelTags(modelId: string, tags: Tag[]): Promise<void>;
}

/** The tracking store's logged-model operations, or undefined when it has none. */
export function loggedModelOps(store: TrackingStore): LoggedModelOps | undefined {
  const s = store as unknown as Partial<LoggedModelOps>;
  return typeof s.getLoggedModel === "function" && typeof s.setLoggedModelTags === "function"
    ? s as LoggedModelOps
    : undefined;
}

/** The logged model `modelId`; NOT_IMPLEMENTED when the tracking store keeps none. */
export async function loggedModel(store: TrackingStore, modelId: string): Promise<LoggedModelRef> {
  const ops = loggedModelOps(store);
  if (!ops) {
    throw new MltError(
      "NOT_IMPLEMENTED",
      `Cannot read logged model '${modelId}': this tracking store has no logged models`,
    );
  }
  return await ops.getLoggedModel(modelId);
}

/**
 * The artifact URI behind a version's download URI: `runs:/<id>/<path>` through the run,
 * `models:/m-…` through the logged model, `models:/<name>/<version>` through that version
 * (followed a few levels at most); any other URI is returned as it is.
 */
export async function versionArtifactUri(
  tracking: TrackingStore,
  registry: ModelRegistryStore,
  uri: string,
  depth = 0,
): Promise<string> {
  if (/^runs:/i.test(uri)) {
    const [runId, ...rest] = uri.replace(/^runs:\/*/i, "").split("/");
    const run = await tracking.getRun(runId);
    const path = rest.filter(Boolean).join("/");
    return path ? appendUriPath(run.info.artifactUri, path) : run.info.artifactUri;
  }
  if (isModelsUri(uri) && depth < 4) {
    const u = parseModelUri(uri);
    if (u.modelId !== undefined) return (await loggedModel(tracking, u.modelId)).artifactLocation;
    if (u.name !== undefined && u.version !== undefined) {
      const next = await registry.getModelVersionDownloadUri(u.name, u.version);
      return await versionArtifactUri(tracking, registry, next, depth + 1);
    }
  }
  return uri;
}
