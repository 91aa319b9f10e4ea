/** Static assets served from memory: the stylesheet and the client's script modules. */
import chartsJs from "./islands/charts.js" with { type: "text" };
import clientJs from "./islands/client.js" with { type: "text" };
import domJs from "./islands/dom.js" with { type: "text" };
import { fnv } from "./live.ts";
import { CSS } from "./style.ts";

const ASSETS: Record<string, { body: string; type: string }> = {
  "style.css": { body: CSS, type: "text/css; charset=utf-8" },
  "client.js": { body: clientJs, type: "text/javascript; charset=utf-8" },
  "charts.js": { body: chartsJs, type: "text/javascript; charset=utf-8" },
  "dom.js": { body: domJs, type: "text/javascript; charset=utf-8" },
};

/** A version for asset URLs: changes whenever any asset does, so they can be cached forever. */
export const ASSET_VERSION = fnv(Object.values(ASSETS).map((a) => a.body).join("\u0000"));

// The client's modules import each other with the version too, so no stale module is cached.
for (const a of Object.values(ASSETS)) {
  if (a.type.startsWith("text/javascript")) {
    a.body = a.body.replace(/(from "\.\/\w+\.js)"/g, `$1?v=${ASSET_VERSION}"`);
  }
}

/** The response for one asset, or undefined. */
export function assetResponse(name: string): Response | undefined {
  const a = ASSETS[name];
  if (!a) return undefined;
  return new Response(a.body, {
    headers: {
      "content-type": a.type,
      "cache-control": "public, max-age=31536000, immutable",
      "x-content-type-options": "nosniff",
    },
  });
}
