/** VNode → HTML Response with the UI's security headers. */
import type { VNode } from "preact";
import { renderToString } from "preact-render-to-string";

/** The Content-Security-Policy of every UI page: scripts only from this origin, no plugins. */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "frame-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join("; ");

/** Renders a page to a full HTML document response. */
export function htmlResponse<P>(page: VNode<P>, status = 200): Response {
  return new Response("<!doctype html>" + renderToString(page as VNode), {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": CSP,
      "referrer-policy": "same-origin",
      "x-content-type-options": "nosniff",
    },
  });
}

/** Renders a fragment (chart, table row) to an HTML string for live updates. */
export function fragment<P>(node: VNode<P>): string {
  return renderToString(node as VNode);
}
