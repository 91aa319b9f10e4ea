/**
 * The web UI mounted on the REST app without loading it: the UI's modules (pages, preact, charts,
 * assets) are imported on the first request for a UI path, so `mlt server` starts sooner and idles
 * smaller when only the API is used. Routes, middleware and answers are those of mountUi.
 */
import { type Context, Hono } from "hono";
import type { Ui, UiOptions } from "./app.ts";

/** The UI once loaded, and a way to end its live streams. */
export interface LazyUi {
  /** Ends every open live stream of the UI, if it was loaded. */
  close(): void;
}

/** Mounts the UI on `api` at the static prefix as mountUi does, loading it on first use. */
export function mountUiLazily(
  api: Hono,
  opts: Omit<UiOptions, "artifacts"> & { staticPrefix?: string },
): LazyUi {
  const prefix = opts.staticPrefix ?? opts.prefix ?? "";
  // Answers of the UI's own app that mean "no such route": the REST app's 404 takes over.
  const misses = new WeakSet<Response>();
  let loading: Promise<{ ui: Ui; host: Hono }> | undefined;
  let closed = false;
  const load = () =>
    loading ??= import("./app.ts").then(({ mountUi }) => {
      const host = new Hono();
      const ui = mountUi(host, opts, api);
      host.notFound(() => {
        const res = new Response(null, { status: 404 });
        misses.add(res);
        return res;
      });
      if (closed) ui.close();
      return { ui, host };
    });
  const handle = async (c: Context) => {
    const path = new URL(c.req.url).pathname;
    // API paths never reach the UI (mountUi's catch-all answers them with the API's 404).
    if (/^\/(api|ajax-api)\//.test(path) || path.startsWith(`${prefix}/ajax-api/`)) {
      return c.notFound();
    }
    const { host } = await load();
    const res = await host.fetch(c.req.raw, c.env);
    return misses.has(res) ? c.notFound() : res;
  };
  if (prefix) api.all(prefix, handle);
  api.all(`${prefix}/*`, handle);
  return {
    close() {
      closed = true;
      void loading?.then(({ ui }) => ui.close());
    },
  };
}
