/**
 * The model pages in a real Chromium against a real server on a free port (the fixture of
 * ui_models_test.ts, file store and registry): the Models tab, a logged model's page, the
 * register form, and a registered model's page with an alias set and removed. Screenshots go to
 * screenshots/ (git-ignored). A missing Chromium is a failure.
 */
import assert from "node:assert/strict";
import { launchChromium } from "./helpers/chromium.ts";
import { shot } from "./helpers/ui_browser.ts";
import { modelsFixture } from "./helpers/ui_models_fixture.ts";

const CHROMIUM = Deno.env.get("MLT_CHROMIUM") ?? "/usr/bin/chromium";

Deno.test("browser: Models tab, logged model page, registering it, registered model page", async (t) => {
  const f = await modelsFixture();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, f.app.fetch);
  const base = `http://127.0.0.1:${server.addr.port}`;
  const browser = await launchChromium(CHROMIUM);
  const errors: string[] = [];
  try {
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } }))
      .newPage();
    page.on("pageerror", (e) => errors.push(String(e)));

    await t.step("the experiment's Models tab lists its logged models", async () => {
      await page.goto(`${base}/experiments/${f.exp}`);
      await page.locator("nav.tabs a", { hasText: "Models" }).click();
      await page.waitForURL(`${base}/experiments/${f.exp}/models`);
      const rows = page.locator("#models-table tbody tr");
      assert.equal(await rows.count(), 2);
      assert.equal(await rows.nth(1).locator("td").first().locator("a").innerText(), "iris-clf");
      await shot(page, "models-tab");
    });

    await t.step("a logged model's page; the register form adds a version", async () => {
      await page.locator("#models-table a", { hasText: "iris-clf" }).click();
      await page.waitForURL(`${base}/experiments/${f.exp}/models/${f.model}`);
      assert.match(await page.locator("#model-info").innerText(), /train-run/);
      assert.match(await page.locator("#model-metrics").innerText(), /iris-test/);
      await page.locator("#model-artifacts a", { hasText: "MLmodel" }).click();
      assert.match(await page.locator("#artifact-preview pre").innerText(), /flavors/);
      await shot(page, "logged-model");
      await page.locator("#register-form input[name=name]").fill("Iris");
      await page.locator("#register-form button").click();
      await page.waitForURL(`${base}/models/Iris#version-2`);
      assert.equal(await page.locator("#model-versions tbody tr").count(), 2);
    });

    await t.step("a registered model's page: versions, aliases set and removed", async () => {
      await page.locator("#alias-form input[name=alias]").fill("challenger");
      await page.locator("#alias-form input[name=version]").fill("2");
      await page.locator("#alias-form button").click();
      await page.waitForURL(`${base}/models/Iris`);
      assert.match(await page.locator("#version-2").innerText(), /@challenger/);
      await shot(page, "registered-model");
      await page.locator("#aliases li", { hasText: "challenger" }).locator("button").click();
      await page.waitForURL(`${base}/models/Iris`);
      assert.doesNotMatch(await page.locator("#model-versions").innerText(), /@challenger/);
      await page.locator("header.top nav a", { hasText: "Models" }).click();
      await page.waitForURL(`${base}/models`);
      assert.equal(await page.locator("#registered-models tbody tr").count(), 2);
      await shot(page, "registered-models");
    });
    await t.step("MLflow's hash links open the model pages", async () => {
      await page.goto(`${base}/#/experiments/${f.exp}/models/${f.model}`);
      await page.waitForURL(`${base}/experiments/${f.exp}/models/${f.model}`);
      await page.goto(`${base}/#/models/Iris/versions/1`);
      await page.waitForURL(`${base}/models/Iris/versions/1`);
      assert.match(await page.locator("#version-info").innerText(), /train-run/);
      await shot(page, "model-version");
      await page.goto(`${base}/#/models/Iris`);
      await page.waitForURL(`${base}/models/Iris`);
      await page.goto(`${base}/#/models`);
      await page.waitForURL(`${base}/models`);
    });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.shutdown();
    await f.close();
  }
});
