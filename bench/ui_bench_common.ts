/** Helpers shared by the UI benchmarks: servers, timing in a fresh Chromium context, medians. */
import type { Browser, Page } from "playwright-core";

/** A free TCP port on 127.0.0.1. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Waits until `base/health` answers (or the process exits). */
export async function waitHealthy(base: string, child: Deno.ChildProcess, what: string) {
  for (let i = 0; i < 600; i++) {
    try {
      const res = await fetch(`${base}/health`);
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // not up yet
    }
    const done = await Promise.race([child.status, new Promise((r) => setTimeout(r, 200))]);
    if (done) throw new Error(`${what} exited before becoming healthy`);
  }
  throw new Error(`${what} did not become healthy`);
}

/** Starts a server process (its output discarded). */
export function start(cmd: string, args: string[], env: Record<string, string> = {}) {
  return new Deno.Command(cmd, { args, env, stdout: "null", stderr: "piped" }).spawn();
}

/** Stops server processes started with `start`. */
export async function stopAll(children: (Deno.ChildProcess | undefined)[]) {
  for (const c of children) {
    if (!c) continue;
    try {
      c.kill("SIGTERM");
    } catch {
      // already gone
    }
    await c.stderr.cancel();
    await c.status;
  }
}

/** The median of some numbers. */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Milliseconds from navigation until `check` (a JS expression) holds in a fresh context; with
 * `scroll`, the page scrolls down by a screen every 100 ms meanwhile (as a reader skimming it);
 * `act` runs once the page has committed (e.g. clicks a menu).
 */
export async function visible(
  browser: Browser,
  url: string,
  check: string,
  o: { scroll?: boolean; timeoutMs?: number; act?: (page: Page) => Promise<void> } = {},
): Promise<number> {
  // bypassCSP: the checks are evaluated as strings, which mlt's CSP (rightly) forbids.
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 }, bypassCSP: true });
  const page = await ctx.newPage();
  if (o.scroll) {
    await page.addInitScript({ content: "setInterval(() => scrollBy(0, innerHeight), 100);" });
  }
  try {
    const t = performance.now();
    await page.goto(url, { waitUntil: "commit", timeout: o.timeoutMs ?? 180_000 });
    if (o.act) await o.act(page);
    await page.waitForFunction(check, undefined, { timeout: o.timeoutMs ?? 180_000, polling: 16 });
    return performance.now() - t;
  } finally {
    await ctx.close();
  }
}
