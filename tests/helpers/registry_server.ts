/**
 * A real `mlt` REST server with a model registry, on 127.0.0.1 and a free port, over a temp
 * file store (tracking and registry in one `mlruns`, the registry's clock injectable).
 */
import { createApp } from "../../src/api/app.ts";
import type { Clock } from "../../src/ids.ts";
import { FileRegistryStore } from "../../src/store/file/registry_store.ts";
import { openStore } from "../../src/store/open.ts";
import type { ModelRegistryStore } from "../../src/store/registry.ts";
import type { TrackingStore } from "../../src/store/store.ts";
import { listen } from "./rest_server.ts";

/** A running registry server; `close()` stops it and removes its directory. */
export interface RegistryServer {
  url: string;
  dir: string;
  store: TrackingStore;
  registry: ModelRegistryStore;
  close(): Promise<void>;
}

/** Starts the REST app with a registry over a new file store in a temp dir. */
export async function startRegistryServer(clock?: Clock): Promise<RegistryServer> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-registry-rest-" }));
  const store = openStore(`${dir}/mlruns`, { artifactRoot: "mlflow-artifacts:/", warn: () => {} });
  const registry = new FileRegistryStore(`${dir}/mlruns`, { clock, warn: () => {} });
  const app = createApp({
    store,
    registry,
    artifactsDestination: `${dir}/mlartifacts`,
    localArtifactRoots: [`${dir}/mlruns`],
  });
  const { server, url } = await listen(async (r) => await app.fetch(r));
  return {
    url,
    dir,
    store,
    registry,
    async close() {
      await server.shutdown();
      await store.close();
      await registry.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
