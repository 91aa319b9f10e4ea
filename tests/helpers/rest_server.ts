/** A real `mlt` REST server on 127.0.0.1 and a free port, over a temp-dir file store. */
import { createApp } from "../../src/api/app.ts";
import { openStore } from "../../src/store/open.ts";
import type { TrackingStore } from "../../src/store/store.ts";

/** A running server, its backing store and temp dir; `close()` stops it and removes the dir. */
export interface RestServer {
  url: string;
  dir: string;
  store: TrackingStore;
  artifacts: string;
  close(): Promise<void>;
}

/** Serves `handler` on 127.0.0.1 and a free port; resolves once it listens. */
export function listen(
  handler: (req: Request) => Response | Promise<Response>,
): Promise<{ server: Deno.HttpServer; url: string }> {
  return new Promise((ok) => {
    const server: Deno.HttpServer = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: ({ port }) => queueMicrotask(() => ok({ server, url: `http://127.0.0.1:${port}` })),
    }, handler);
  });
}

/** Starts the REST app (artifact proxy on, `mlflow-artifacts:/` root) over a new file store. */
export async function startRestServer(
  opts: {
    artifactRoot?: string;
    wrap?: (app: (r: Request) => Promise<Response>) => (r: Request) => Promise<Response>;
  } = {},
): Promise<RestServer> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-rest-" }));
  const artifacts = `${dir}/mlartifacts`;
  const store = openStore(`${dir}/mlruns`, {
    artifactRoot: opts.artifactRoot ?? "mlflow-artifacts:/",
    warn: () => {},
  });
  const app = createApp({
    store,
    artifactsDestination: artifacts,
    localArtifactRoots: [`${dir}/mlruns`, `${dir}/local`],
  });
  const fetchApp = async (r: Request) => await app.fetch(r);
  const { server, url } = await listen(opts.wrap ? opts.wrap(fetchApp) : fetchApp);
  return {
    url,
    dir,
    store,
    artifacts,
    async close() {
      await server.shutdown();
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
