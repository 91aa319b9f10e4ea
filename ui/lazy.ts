/**
 * The web UI mounted on the REST app without loading it: the UI's modules (pages, preact, charts,
 * assets) are imported on the first request for a UI path, so `mlt server` starts sooner and idles
 * smaller when only the API is used. Routes, middleware and answers are those of mountUi.
 */
import type { Context, Hono } from "hono";
import type { Ui, UiOptions } from "./app.ts";
import { lazyApp } from "../src/api/lazy_app.ts";

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
  let ui: Ui | undefined;
  let closed = false;
  const host = lazyApp(() =>
    // "hono" (its default routers) loads with the UI, not at start.
    Promise.all([import("./app.ts"), import("hono")]).then(([{ mountUi }, { Hono }]) => {
      const app = new Hono();
      ui = mountUi(app, opts, api);
      if (closed) ui.close();
      return app;
    })
  );
  const handle = async (c: Context) => {
    const path = new URL(c.req.url).pathname;
    // API paths never reach the UI (mountUi's catch-all answers them with the API's 404).
    if (/^\/(api|ajax-api)\//.test(path) || path.startsWith(`${prefix}/ajax-api/`)) {
      return c.notFound();
    }
    return (await host(c)) ?? c.notFound();
  };
  if (prefix) api.all(prefix, handle);
  api.all(`${prefix}/*`, handle);
  return {
    close() {
      closed = true;
      ui?.close();
    },
  };
}
