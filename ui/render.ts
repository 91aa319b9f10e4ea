/** VNode → HTML Response with the UI's security headers, whole or streamed in document order. */
import { h, type VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import { MltError } from "../src/errors.ts";

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

const HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "content-security-policy": CSP,
  "referrer-policy": "same-origin",
  "x-content-type-options": "nosniff",
};

/** Renders a page to a full HTML document response. */
export function htmlResponse<P>(page: VNode<P>, status = 200): Response {
  return new Response("<!doctype html>" + renderToString(page as VNode), {
    status,
    headers: HEADERS,
  });
}

/** Renders a fragment (chart, table row) to an HTML string for live updates. */
export function fragment<P>(node: VNode<P>): string {
  return renderToString(node as VNode);
}

// Rendered text is escaped, so this tag can only come from a Slot.
const SLOT_HTML = "<mlt-slot></mlt-slot>";

/** Where a streamed page's deferred content goes (see streamResponse). */
export function Slot(): VNode {
  return h("mlt-slot", null);
}

/**
 * Content of one slot: a function giving a node, or a node with slots of its own (streamed in
 * its place, in order), or a promise of either (rejections show inline).
 */
export type SlotContent = () => SlotResult | Promise<SlotResult>;
// deno-lint-ignore no-explicit-any
type SlotResult = VNode<any> | { node: VNode<any>; slots: SlotContent[] };

function slotError(e: unknown): string {
  // A bug, not a client mistake: log the stack here, never send it.
  if (!(e instanceof MltError)) console.error(e);
  const message = e instanceof MltError ? e.message : "Internal server error";
  return fragment(h("div", { class: "error", role: "alert" }, message));
}

// Lets the server write what is queued before synchronous store work holds the thread.
function yieldToServer(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Streams a page: the shell up to its first Slot goes out at once (the header, sidebar and page
 * head show while data loads), then each slot's content as soon as it and every slot before it
 * are ready. Works without JavaScript: the document simply arrives in order. The slots' functions
 * are called together once the first bytes are out, so they load concurrently.
 */
export function streamResponse<P>(shell: VNode<P>, slots: SlotContent[], status = 200): Response {
  const enc = new TextEncoder();
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    async start(ctrl) {
      const write = (html: string) => {
        if (!cancelled) ctrl.enqueue(enc.encode(html));
      };
      await streamInto(
        "<!doctype html>" + renderToString(shell as VNode),
        slots,
        write,
        true,
        () => cancelled,
      );
      if (!cancelled) ctrl.close();
    },
    cancel() {
      cancelled = true;
    },
  });
  return new Response(body, { status, headers: HEADERS });
}

// Writes `html` with each of its slots replaced by the slots' content, in order.
async function streamInto(
  html: string,
  slots: SlotContent[],
  write: (html: string) => void,
  first: boolean,
  cancelled: () => boolean,
): Promise<void> {
  const pieces = html.split(SLOT_HTML);
  if (pieces.length !== slots.length + 1) {
    throw new Error(
      `streamResponse: ${pieces.length - 1} slots in the page, ${slots.length} given`,
    );
  }
  write(pieces[0]);
  if (first) await yieldToServer();
  if (cancelled()) return; // the client left before the work began
  const started = slots.map((slot) => {
    try {
      return Promise.resolve(slot());
    } catch (e) {
      return Promise.reject(e);
    }
  });
  // Rejections are handled in order below; don't let a later one go unhandled meanwhile.
  for (const p of started) p.catch(() => {});
  for (let i = 0; i < started.length; i++) {
    let out: SlotResult | undefined, error: string | undefined;
    try {
      out = await started[i];
    } catch (e) {
      error = slotError(e);
    }
    if (cancelled()) return;
    if (out && "slots" in out && !("type" in out)) {
      try {
        await streamInto(fragment(out.node), out.slots, write, false, cancelled);
      } catch (e) {
        write(slotError(e));
      }
    } else write(error ?? fragment(out as VNode));
    write(pieces[i + 1]);
  }
}
