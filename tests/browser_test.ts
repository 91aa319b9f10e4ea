/**
 * The UI in a real Chromium (Debian's /usr/bin/chromium through playwright-core) against a real
 * server on a free port: the seed example's run (test_param = 100, a 10-point test_metric chart),
 * MLflow's hash links, comparing two runs (with the parallel-coordinates and scatter plots), the
 * filter box, charts loaded as they scroll into view, the output log, and a live run updating
 * without a reload. Screenshots go to screenshots/ (git-ignored). A missing Chromium is a failure: CI
 * installs it (`apt-get install -y chromium`).
 */
import assert from "node:assert/strict";
import { browserUi, shot } from "./helpers/ui_browser.ts";
import type { TrackingStore } from "../src/store/store.ts";

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
  const a = await make("seed-run", "100", "FINISHED", 10);
  // What `mlt run` saves of the entry point's output.
  const art = new URL((await store.getRun(a)).info.artifactUri).pathname;
  await Deno.mkdir(`${art}/mlt`, { recursive: true });
  await Deno.writeTextFile(`${art}/mlt/stdout.log`, "test_param=100\nepoch 9: done\n");
  // A run with more chart points than the page draws itself (see chartBudget below).
  const wideExp = await store.createExperiment("wide");
  const wide = (await store.createRun({ experimentId: wideExp, runName: "wide-run" })).info.runId;
  for (let m = 0; m < 12; m++) {
    const metrics = Array.from({ length: 30 }, (_, step) => ({
      key: `metric_${String(m).padStart(2, "0")}`,
      value: Math.sin(step / 5 + m),
      timestamp: t0 + step,
      step,
    }));
    await store.logBatch(wide, { metrics });
  }
  await store.updateRun({ runId: wide, status: "FINISHED", endTime: t0 + 30 });
  return {
    exp,
    a,
    b: await make("other-run", "200", "FINISHED", 10),
    live: await make("live-run", "300", "RUNNING", 3),
    wideExp,
    wide,
  };
}

Deno.test("browser: seed run, hash links, compare, filter box, live updates", async (t) => {
  let seeded!: Awaited<ReturnType<typeof seed>>;
  const { store, base, browser, close } = await browserUi("mlt-browser-", async (s) => {
    seeded = await seed(s);
  }, { chartBudget: { points: 100, min: 2 } });
  const ids = seeded;
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
        // The client adds hover to the server's chart: the x value by its axis, the run's value.
        const box = (await fig.locator("svg.static").boundingBox())!;
        await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
        await fig.locator(".tip").waitFor();
        assert.match((await fig.locator(".tip").textContent()) ?? "", /^Step \d+seed-run: [\d.]+$/);
        assert.match((await page.locator("#output-log").textContent()) ?? "", /epoch 9: done/);
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
      assert.equal(await page.locator("#parallel-plot polyline").count(), 2);
      assert.equal(await page.locator("#scatter-plot circle").count(), 2);
      await page.selectOption("select[name=sy]", "params.test_param");
      await page.click('form[action$="#scatter"] button[type=submit]');
      await page.waitForURL(/sy=params.test_param/);
      assert.equal(await page.locator("#scatter-plot circle").count(), 2);
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

    await t.step("charts past the budget load as they scroll into view", async () => {
      await page.goto(`${base}/experiments/${ids.wideExp}/runs/${ids.wide}`);
      assert.equal(await page.locator("figure.chart").count(), 12);
      assert.ok(await page.locator("#metrics-table tr[data-pending]").count() > 0);
      for (let i = 0; i < 30; i++) {
        if (await page.locator("figure.chart.lazy").count() === 0) break;
        await page.mouse.wheel(0, 600);
        await page.waitForTimeout(100);
      }
      await page.waitForFunction(() => !document.querySelector("figure.chart.lazy"));
      assert.equal(await page.locator("figure.chart svg.static polyline").count(), 12);
      assert.equal(await page.locator("#metrics-table tr[data-pending]").count(), 0);
      // The sidebar's background runs down the whole page, however long it is.
      const [shell, main] = await page.evaluate(() => {
        const s = document.querySelector(".shell")!, m = document.querySelector("main")!;
        return [
          { bottom: s.getBoundingClientRect().bottom, bg: getComputedStyle(s).backgroundImage },
          { bottom: m.getBoundingClientRect().bottom },
        ];
      });
      assert.match(shell.bg, /gradient/);
      assert.ok(shell.bottom >= main.bottom, `${shell.bottom} < ${main.bottom}`);
      await shot(page, "lazy-charts");
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
    await close();
  }
});
