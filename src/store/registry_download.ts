/**
 * Where a model version's files are: its download URI (`runs:/…`, `models:/m-…`,
 * `models:/<name>/<version>` or an artifact URI) resolved through the tracking store and the
 * registry, as MLflow's server and client resolve it.
 */
import { isModelsUri, parseModelUri } from "../registry_uri.ts";
import { appendUriPath } from "./file/layout.ts";
import type { ModelRegistryStore } from "./registry.ts";
import type { TrackingStore } from "./store.ts";

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
    if (u.modelId !== undefined) return (await tracking.getLoggedModel(u.modelId)).artifactLocation;
    if (u.name !== undefined && u.version !== undefined) {
      const next = await registry.getModelVersionDownloadUri(u.name, u.version);
      return await versionArtifactUri(tracking, registry, next, depth + 1);
    }
  }
  return uri;
}
