/**
 * The tracking endpoint `mlt run` serves for one run: the REST API (src/api/app.ts) over the
 * runner's own store on 127.0.0.1 and a free port, for entry points whose Python client cannot
 * open the store directly. Imported only when needed, so plain `mlt run` stays fast.
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import denoJson from "../../deno.json" with { type: "json" };
import type { TrackingEndpoint } from "../runner/run_project.ts";
import type { TrackingStore } from "../store/store.ts";

/** How long a graceful stop may wait for in-flight requests before mlt moves on. */
const STOP_TIMEOUT_MS = 10_000;

/** Starts the REST API over `store`; `cwd` anchors the default `./mlartifacts` destination. */
export async function startTrackingEndpoint(
  store: TrackingStore,
  cwd: string,
): Promise<TrackingEndpoint> {
  const { createApp } = await import("../api/app.ts");
  const storeDir = store.uri.startsWith("file:") ? fileURLToPath(store.uri) : undefined;
  const app = createApp({
    store,
    artifactsDestination: resolve(cwd, "mlartifacts"),
    localArtifactRoots: storeDir ? [storeDir] : [],
    version: denoJson.version,
    storeType: storeDir ? "FileStore" : "SqlStore",
  });
  // Deno's shutdown() cuts requests whose body is still arriving, so requests are counted here
  // and the stop waits for them; late newcomers get a 503.
  let active = 0;
  let closing = false;
  let idle: (() => void) | undefined;
  const handler = async (req: Request): Promise<Response> => {
    if (closing) {
      return Response.json({
        error_code: "TEMPORARILY_UNAVAILABLE",
        message: "The run is over: its tracking endpoint is stopping",
      }, { status: 503, headers: { connection: "close" } });
    }
    active++;
    try {
      return await app.fetch(req);
    } finally {
      if (--active === 0) idle?.();
    }
  };
  const { server, port } = await new Promise<{ server: Deno.HttpServer; port: number }>(
    (ok, fail) => {
      try {
        const server: Deno.HttpServer = Deno.serve({
          hostname: "127.0.0.1",
          port: 0,
          onListen: ({ port }) => queueMicrotask(() => ok({ server, port })),
        }, handler);
      } catch (e) {
        fail(e);
      }
    },
  );
  return {
    uri: `http://127.0.0.1:${port}`,
    stop: async () => {
      closing = true;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((r) => timer = setTimeout(r, STOP_TIMEOUT_MS));
      if (active > 0) await Promise.race([new Promise<void>((r) => idle = r), timeout]);
      await Promise.race([server.shutdown(), timeout]);
      clearTimeout(timer);
    },
  };
}
