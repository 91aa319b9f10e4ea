/**
 * The UI in a real Chromium (Debian's /usr/bin/chromium through playwright-core) against a real
 * server on a free port: the seed example's run (test_param = 100, a 10-point test_metric chart),
 * MLflow's hash links, comparing two runs, the filter box, and a live run updating without a
 * reload. Screenshots go to screenshots/ (git-ignored). A missing Chromium is a failure: CI
 * installs it (`apt-get install -y chromium`).
 */
import assert from "node:assert/strict";
import { chromium, type Page } from "playwright-core";
import { createApp } from "../src/api/app.ts";
import { openStore } from "../src/store/open.ts";
import type { TrackingStore } from "../src/store/store.ts";
import { mountUi } from "../ui/app.ts";

const CHROMIUM = Deno.env.get("MLT_CHROMIUM") ?? "/usr/bin/chromium";
const SHOTS = new URL("../screenshots/", import.meta.url);

async function seed(store: TrackingStore) {
  const exp = await store.createExperiment("projects-and-tracking");
  const t0 = Date.UTC(2024, 0, 1, 12);
  const make = async (name: string, param: string, status: "FINISHED" | "RUNNING", n: number) => {
    const run = await store.createRun({ experimentId: exp, runName: name, startTime: t0 });
    const id = run.info.runId;
    await store.logParam(id, { key: "test_param", value: param });
    for (let step = 0; step < n; step++) {
      const value = ((step * 37 + Number(param) / 7) % 100) + 0.5;
      await store.logMetric(id, { key: "test_metric", value, timestamp: t0 + step * 1000, step });
    }
    if (status === "FINISHED") {
      await store.updateRun({ runId: id, status, endTime: t0 + n * 1000 });
    }
    return id;
  };
  return {
    exp,
    a: await make("seed-run", "100", "FINISHED", 10),
    b: await make("other-run", "200", "FINISHED", 10),
    live: await make("live-run", "300", "RUNNING", 3),
  };
}

async function shot(page: Page, name: string) {
  await Deno.mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: new URL(`${name}.png`, SHOTS).pathname, fullPage: true });
}

Deno.test("browser: seed run, hash links, compare, filter box, live updates", async (t) => {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install it with apt-get install -y chromium`,
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "mlt-browser-" });
  const store = openStore(`${dir}/mlruns`);
  const ids = await seed(store);
  const app = createApp({
    store,
    artifactsDestination: `${dir}/mlartifacts`,
    localArtifactRoots: [`${dir}/mlruns`],
  });
  const ui = mountUi(app, { store, pollMs: 200 });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  const base = `http://127.0.0.1:${server.addr.port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ], // playwright gives each launch a fresh temporary --user-data-dir itself
  });
  const errors: string[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("pageerror", (e) => errors.push(String(e)));

    await t.step(
      "MLflow's hash link opens the seed run with its param and 10-point chart",
      async () => {
        await page.goto(`${base}/#/experiments/${ids.exp}/runs/${ids.a}`);
        await page.waitForURL(`${base}/experiments/${ids.exp}/runs/${ids.a}`);
        const param = page.locator("#params-table tr", { hasText: "test_param" });
        assert.equal((await param.locator("td").textContent())?.trim(), "100");
        const fig = page.locator('figure.chart[data-metric-key="test_metric"]');
        assert.equal(await fig.getAttribute("data-points"), "10");
        const points = await fig.locator("svg.static polyline").getAttribute("points");
        assert.equal(points?.trim().split(/\s+/).length, 10);
        assert.equal(await page.title(), "seed-run · projects-and-tracking · mlt");
        // The uPlot island takes over the visible chart (hover values, zoom).
        await fig.locator(".uplot-host canvas").waitFor();
        await shot(page, "run");
      },
    );

    await t.step("the runs table lists both runs; two selected runs compare", async () => {
      await page.goto(`${base}/experiments/${ids.exp}`);
      const rows = page.locator("#runs-table tbody tr");
      assert.equal(await rows.count(), 3);
      await shot(page, "runs");
      await page.emulateMedia({ colorScheme: "dark" });
      await shot(page, "runs-dark");
      await page.emulateMedia({ colorScheme: "light" });
      await page.check(`input[name=runs][value="${ids.a}"]`);
      await page.check(`input[name=runs][value="${ids.b}"]`);
      await page.click("text=Compare selected");
      await page.waitForURL(/\/compare\?/);
      const row = page.locator("#compare-params tr", { hasText: "test_param" });
      assert.equal(await row.getAttribute("data-differs"), "1");
      assert.deepEqual((await row.locator("td").allTextContents()).sort(), ["100", "200"]);
      const fig = page.locator('figure.chart[data-metric-key="test_metric"]');
      assert.equal(await fig.locator("svg.static polyline").count(), 2);
      await shot(page, "compare");
    });

    await t.step("the filter box narrows the table and explains a bad filter", async () => {
      await page.goto(`${base}/experiments/${ids.exp}`);
      await page.fill("input[name=filter]", "params.test_param = '100'");
      await page.press("input[name=filter]", "Enter");
      await page.waitForURL(/filter=/);
      const names = await page.locator("#runs-table tbody tr td:nth-child(2) a").allTextContents();
      assert.deepEqual(names, ["seed-run"]);
      await page.fill("input[name=filter]", "params.test_param == 100");
      await page.press("input[name=filter]", "Enter");
      const err = page.locator("#filter-error");
      await err.waitFor();
      assert.match((await err.textContent()) ?? "", /position \d+/);
      await shot(page, "filter-error");
    });

    await t.step("a live run's table, chart and status update without a reload", async () => {
      await page.goto(`${base}/experiments/${ids.exp}/runs/${ids.live}`);
      const steps = page.locator('#metrics-table tr[data-metric-key="test_metric"] [data-steps]');
      assert.equal(await steps.textContent(), "3");
      await page.evaluate(() => (document.body.dataset.marker = "same-page"));
      await store.logMetric(ids.live, {
        key: "test_metric",
        value: 42,
        timestamp: Date.UTC(2024, 0, 1, 12, 0, 3),
        step: 3,
      });
      await page.waitForFunction(() =>
        document.querySelector('#metrics-table tr[data-metric-key="test_metric"] [data-steps]')
          ?.textContent === "4"
      );
      const fig = page.locator('figure.chart[data-metric-key="test_metric"]');
      await page.waitForFunction(() =>
        document.querySelector('figure.chart[data-metric-key="test_metric"]')
          ?.getAttribute("data-points") === "4"
      );
      assert.equal(await fig.getAttribute("data-points"), "4");
      await store.updateRun({ runId: ids.live, status: "FINISHED", endTime: Date.now() });
      await page.locator("[data-live-status] .badge.FINISHED").waitFor();
      assert.equal(await page.evaluate(() => document.body.dataset.marker), "same-page");
      await shot(page, "live");
    });

    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    ui.close();
    await server.shutdown();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
