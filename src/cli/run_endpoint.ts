/**
 * The tracking endpoint `mlt run` serves for one run: the REST API (src/api/app.ts) over the
 * runner's own store on 127.0.0.1 and a free port, for entry points whose Python client cannot
 * open the store directly. Imported only when needed, so plain `mlt run` stays fast.
 */
import { resolve } from "node:path";
import type { TrackingEndpoint } from "../runner/run_project.ts";
import type { TrackingStore } from "../store/store.ts";

/** Starts the REST API over `store`; `cwd` anchors the default `./mlartifacts` destination. */
export async function startTrackingEndpoint(
  store: TrackingStore,
  cwd: string,
): Promise<TrackingEndpoint> {
  const { createApp } = await import("../api/app.ts");
  const { startServer } = await import("../api/serve.ts");
  const { localArtifactRoots } = await import("./server_roots.ts");
  const { loadRegistryStore } = await import("../store/open_registry.ts");
  // The run's model registry: the store's own, as MLflow's default registry URI is.
  const registry = await loadRegistryStore(undefined, {}, store);
  const app = createApp({
    store,
    registry,
    artifactsDestination: resolve(cwd, "mlartifacts"),
    localArtifactRoots: localArtifactRoots({ storeUri: store.uri, cwd }),
    storeType: store.uri.startsWith("file:") ? "FileStore" : "SqlStore",
  });
  const server = await startServer((req, info) => app.fetch(req, info), {
    closingMessage: "The run is over: its tracking endpoint is stopping",
  });
  return {
    uri: server.url,
    stop: async () => {
      await server.stop();
      await registry.close();
    },
  };
}
