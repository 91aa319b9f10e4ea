/**
 * The UI's views in a real Chromium (Debian's /usr/bin/chromium through playwright-core) against a
 * real server on a free port: the experiment's chart tab with hover, run toggles and grouping, the
 * runs table's CSV export, a one-point chart, the artifact preview opening without a reload, and
 * a tag deleted only after its confirmation. Screenshots go to screenshots/ (git-ignored). A
 * missing Chromium is a failure: CI installs it (`apt-get install -y chromium`).
 */
import assert from "node:assert/strict";
import { browserUi, shot } from "./helpers/ui_browser.ts";
import type { TrackingStore } from "../src/store/store.ts";

const T0 = Date.UTC(2024, 0, 1, 12);

// Twelve runs: lr in {0.1, 0.01, 0.001} × optimizer in {adam, sgd} × two seeds.
async function seed(store: TrackingStore) {
  const exp = await store.createExperiment("sweep");
  const ids: string[] = [];
  let i = 0;
  for (const lr of ["0.1", "0.01", "0.001"]) {
    for (const opt of ["adam", "sgd"]) {
      for (const s of [0, 1]) {
        const run = await store.createRun({
          experimentId: exp,
          runName: `${opt}-${lr}-${s}`,
          startTime: T0 + i++ * 1000,
        });
        const id = run.info.runId;
        await store.logBatch(id, {
          params: [{ key: "lr", value: lr }, { key: "optimizer", value: opt }],
          metrics: Array.from({ length: 50 }, (_, step) => ({
            key: "loss",
            value: 2 * Math.exp(-step * Number(lr) * 5) + s * 0.05,
            timestamp: T0 + step * 1000,
            step,
          })),
        });
        await store.updateRun({ runId: id, status: "FINISHED", endTime: T0 + 60_000 });
        ids.push(id);
      }
    }
  }
  await store.logMetric(ids[0], { key: "final_score", value: 0.91, timestamp: T0, step: 7 });
  await store.setTag(ids[0], { key: "team", value: "vision" });
  const art = new URL((await store.getRun(ids[0])).info.artifactUri).pathname;
  await Deno.mkdir(`${art}/reports`, { recursive: true });
  await Deno.writeTextFile(`${art}/reports/summary.txt`, "best lr: 0.1\n");
  await Deno.writeTextFile(`${art}/notes.md`, "# notes\n");
  return { exp, ids };
}

Deno.test("browser: chart tab, grouping, CSV, one-point chart, artifact preview, tag delete", async (t) => {
  let seeded!: Awaited<ReturnType<typeof seed>>;
  const { store, base, browser, close } = await browserUi("mlt-browser-views-", async (s) => {
    seeded = await seed(s);
  });
  const { exp, ids } = seeded;
  const errors: string[] = [];
  try {
    const ctx = await browser.newContext({
      viewport: { width: 1400, height: 900 },
      acceptDownloads: true,
    });
    const page = await ctx.newPage();
    page.on("pageerror", (e) => errors.push(String(e)));
    const loss = page.locator('.chartpane figure.chart[data-metric-key="loss"]');

    await t.step(
      "the chart tab overlays the runs; hover names the run; a run can be hidden",
      async () => {
        await page.goto(`${base}/experiments/${exp}?tab=charts`);
        assert.equal(await page.locator(".runlist li[data-run-id]").count(), 12);
        assert.equal(await loss.locator("svg.static polyline").count(), 12);
        // The first run's colour in the list is its line's colour.
        const first = page.locator(`.runlist li[data-run-id="${ids[ids.length - 1]}"] i.sw`);
        const color = await first.evaluate((e) => getComputedStyle(e).backgroundColor);
        const box = (await loss.locator("svg.static").boundingBox())!;
        await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.4);
        await page.mouse.move(box.x + box.width * 0.31, box.y + box.height * 0.4);
        const tip = loss.locator(".tip");
        await tip.waitFor();
        assert.match((await tip.textContent()) ?? "", /^Step \d+/);
        assert.match(
          (await tip.locator(".near").textContent()) ?? "",
          /^(adam|sgd)-0\.\d+-[01]: [\d.]+$/,
        );
        await shot(page, "chart-tab-hover");
        await page.evaluate(() => (document.body.dataset.marker = "same-page"));
        await page.click(`.runlist li[data-run-id="${ids[0]}"] a.eye`);
        await page.waitForFunction(() =>
          document.querySelectorAll(
            '.chartpane figure.chart[data-metric-key="loss"] svg.static polyline',
          ).length === 11
        );
        assert.match(page.url(), new RegExp(`hide=${ids[0]}`));
        assert.equal(await page.evaluate(() => document.body.dataset.marker), "same-page");
        assert.ok(color.startsWith("rgb"));
      },
    );

    await t.step(
      "grouping by a param draws each group's mean and band; a group opens into its runs",
      async () => {
        await page.goto(`${base}/experiments/${exp}?tab=charts`);
        await page.selectOption("select[name=group]", "params.lr");
        await page.click("form.grouping button[type=submit]");
        await page.waitForURL(/group=params.lr/);
        assert.equal(await page.locator(".runlist li.group").count(), 3);
        assert.equal(await loss.locator("path.band").count(), 3);
        assert.equal(await loss.locator("polyline.strong").count(), 3);
        assert.equal(await loss.locator("polyline:not(.strong)").count(), 0);
        // Only the run of lr 0.1 has final_score: the other groups stay out of its legend.
        const score = page.locator('.chartpane figure.chart[data-metric-key="final_score"]');
        assert.deepEqual(await score.locator(".legend span").allTextContents(), ["lr = 0.1 (4)"]);
        await page.click(".runlist li.group >> nth=0 >> a.toggle");
        await page.waitForURL(/expand=/);
        assert.equal(await loss.locator("polyline:not(.strong)").count(), 4);
        await shot(page, "chart-tab-grouped");
        // The table groups the same way, with counts.
        await page.click("nav.tabs >> text=Table");
        assert.equal(await page.locator("#runs-table tr.group").count(), 3);
        assert.match(
          (await page.locator("#runs-table tr.group >> nth=0").textContent()) ?? "",
          /lr = 0\.\d+ ?4 runs/,
        );
        await shot(page, "table-grouped");
      },
    );

    await t.step(
      "the metric page names the experiment in its breadcrumbs and groups like the chart tab",
      async () => {
        const runs = ids.join(",");
        await page.goto(`${base}/metric?key=loss&runs=${runs}&group=params.optimizer&band=std`);
        assert.equal(
          ((await page.locator(".crumbs").textContent()) ?? "").replace(/\s+/g, " ").trim(),
          "Experiments / sweep / 12 runs / loss",
        );
        const fig = page.locator('figure.chart[data-metric-key="loss"]');
        assert.equal(await fig.locator("path.band").count(), 2);
        assert.equal(await fig.locator("polyline.strong").count(), 2);
        await shot(page, "metric-grouped");
      },
    );

    await t.step("Download CSV saves every run of the view with its columns", async () => {
      await page.goto(
        `${base}/experiments/${exp}?filter=${encodeURIComponent("params.optimizer = 'adam'")}`,
      );
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.click("text=Download CSV"),
      ]);
      const csv = await Deno.readTextFile(await download.path());
      const lines = csv.trimEnd().split("\r\n");
      assert.equal(lines.length, 1 + 6);
      assert.match(
        lines[0],
        /^run_id,run_name,status,.*,params\.lr,params\.optimizer,metrics\.final_score,metrics\.loss$/,
      );
      assert.ok(lines.slice(1).every((l) => l.includes(",adam,")));
      assert.match(download.suggestedFilename(), /^sweep-runs\.csv$/);
    });

    await t.step("a one-point chart keeps its point with the script running", async () => {
      await page.goto(`${base}/experiments/${exp}/runs/${ids[0]}`);
      const fig = page.locator('figure.chart[data-metric-key="final_score"]');
      assert.equal(await fig.locator("figcaption .count").textContent(), "1 point");
      const dot = fig.locator("svg.static circle");
      assert.equal(await dot.count(), 1);
      const [svg, c] = [
        (await fig.locator("svg.static").boundingBox())!,
        (await dot.boundingBox())!,
      ];
      assert.ok(
        c.x > svg.x + 40 && c.x + c.width < svg.x + svg.width && c.y > svg.y &&
          c.y < svg.y + svg.height,
      );
      // The x axis runs around step 7 (not 0–100), and hovering reads the point.
      const ticks = await fig.locator("svg.static > text").allTextContents();
      assert.ok(ticks.includes("7"), ticks.join(" "));
      await page.mouse.move(c.x + c.width / 2, c.y + c.height / 2);
      await fig.locator(".tip").waitFor();
      assert.match((await fig.locator(".tip").textContent()) ?? "", /Step 7.*: 0\.91/);
      await shot(page, "one-point-chart");
    });

    await t.step("an artifact previews beside the tree without reloading the page", async () => {
      await page.goto(`${base}/experiments/${exp}/runs/${ids[0]}`);
      await page.evaluate(() => (document.body.dataset.marker = "same-page"));
      await page.click('nav.tree a[data-artifact="reports"]');
      await page.locator('nav.tree a[data-artifact="reports/summary.txt"]').click();
      await page.locator("#artifact-preview pre", { hasText: "best lr: 0.1" }).waitFor();
      assert.equal(await page.evaluate(() => document.body.dataset.marker), "same-page");
      assert.match(page.url(), /artifact=reports%2Fsummary\.txt/);
      await shot(page, "artifact-preview");
      // Without JS the same link loads the page showing it.
      await page.reload();
      await page.locator("#artifact-preview pre", { hasText: "best lr: 0.1" }).waitFor();
    });

    await t.step("a tag is deleted only after its confirmation", async () => {
      await page.goto(`${base}/experiments/${exp}/runs/${ids[0]}#tags`);
      const row = page.locator("#tags-table tr", { hasText: "team" });
      await row.locator("summary", { hasText: "Delete" }).click();
      const yes = row.locator("button", { hasText: "Yes, delete" });
      await yes.waitFor();
      assert.ok((await store.getRun(ids[0])).data.tags.some((t) => t.key === "team"), "not yet");
      await shot(page, "tag-delete-confirm");
      await yes.click();
      await page.waitForURL(/#tags$/);
      assert.equal(await page.locator("#tags-table tr", { hasText: "team" }).count(), 0);
      assert.ok(!(await store.getRun(ids[0])).data.tags.some((t) => t.key === "team"));
    });

    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});
