/** The run page with a hand-set `mlflow.parentRunId` tag that is not a run id, or names no run. */
import assert from "node:assert/strict";
import { createApp } from "../src/api/app.ts";
import { openStore } from "../src/store/open.ts";
import { mountUi } from "../ui/app.ts";

Deno.test("a run page renders whatever its mlflow.parentRunId tag holds", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-ui-parent-" }));
  const store = openStore(`${dir}/mlruns`);
  const app = createApp({ store, artifactsDestination: `${dir}/mlartifacts` });
  const ui = mountUi(app, { store });
  try {
    const parent = (await store.createRun({ runName: "the-parent" })).info.runId;
    const cases: [string, RegExp][] = [
      [parent, /<a href="\/experiments\/0\/runs\/[0-9a-f]{32}">the-parent<\/a>/],
      ["0".repeat(32), /<a href="\/experiments\/0\/runs\/0{32}">0{32}<\/a>/],
      ["../../etc/passwd", /\.\.\/\.\.\/etc\/passwd \(not a run id\)/],
      ["<b>x</b> y", /&lt;b>x&lt;\/b> y \(not a run id\)/],
      ["", /Parent run/],
    ];
    for (const [value, re] of cases) {
      const child = await store.createRun({
        tags: [{ key: "mlflow.parentRunId", value }],
      });
      const res = await app.request(`/experiments/0/runs/${child.info.runId}`);
      const html = await res.text();
      assert.equal(res.status, 200, `${JSON.stringify(value)}: ${html.slice(0, 300)}`);
      assert.match(html, re, JSON.stringify(value));
      assert.doesNotMatch(html, /<b>x<\/b>/);
    }
  } finally {
    ui.close();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
