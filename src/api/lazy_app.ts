/**
 * A sub-app built on its first request, for parts of the server whose modules load only when
 * used (the API's routes in app.ts, the web UI in ui/lazy.ts). A request none of its routes
 * matches answers undefined, so the caller passes it on to what comes after.
 */
import type { Context, Hono } from "hono";
import { lazyModule } from "../lazy_module.ts";

/** The handler of a lazily built sub-app: its answer, or undefined when no route matched. */
export function lazyApp(build: () => Promise<Hono>): (c: Context) => Promise<Response | undefined> {
  // The sub-app's own 404s, told apart from a route's 404 by identity.
  const misses = new WeakSet<Response>();
  const load = lazyModule(() =>
    build().then((app) => {
      app.notFound(() => {
        const res = new Response(null, { status: 404 });
        misses.add(res);
        return res;
      });
      return app;
    })
  );
  return async (c) => {
    const res = await (await load()).fetch(c.req.raw, c.env);
    return misses.has(res) ? undefined : res;
  };
}
