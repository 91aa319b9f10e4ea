/**
 * What the browser tests share: Debian's Chromium (a missing one is a failure), the UI on a real
 * server on a free port over a temp-dir store, and full-page screenshots in screenshots/.
 */
import type { Browser, Page } from "playwright-core";
import { createApp } from "../../src/api/app.ts";
import { openStore } from "../../src/store/open.ts";
import type { TrackingStore } from "../../src/store/store.ts";
import { mountUi } from "../../ui/app.ts";
import type { ChartBudget } from "../../ui/data.ts";
import { launchChromium } from "./chromium.ts";

const CHROMIUM = Deno.env.get("MLT_CHROMIUM") ?? "/usr/bin/chromium";
const SHOTS = new URL("../../screenshots/", import.meta.url);

/** A served UI and a browser. */
export interface BrowserUi {
  store: TrackingStore;
  base: string;
  browser: Browser;
  close(): Promise<void>;
}

/** Starts Chromium and the UI over a fresh store that `seed` fills first. */
export async function browserUi(
  prefix: string,
  seed: (store: TrackingStore) => Promise<void>,
  o: { chartBudget?: ChartBudget } = {},
): Promise<BrowserUi> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install it with apt-get install -y chromium`,
    );
  }
  const dir = await Deno.makeTempDir({ prefix });
  const store = openStore(`${dir}/mlruns`);
  await seed(store);
  const app = createApp({
    store,
    artifactsDestination: `${dir}/mlartifacts`,
    localArtifactRoots: [`${dir}/mlruns`],
  });
  const ui = mountUi(app, { store, pollMs: 200, chartBudget: o.chartBudget });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  const browser = await launchChromium(CHROMIUM);
  return {
    store,
    base: `http://127.0.0.1:${server.addr.port}`,
    browser,
    async close() {
      await browser.close();
      ui.close();
      await server.shutdown();
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** A full-page screenshot `screenshots/<name>.png`. */
export async function shot(page: Page, name: string) {
  await Deno.mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: new URL(`${name}.png`, SHOTS).pathname, fullPage: true });
}
