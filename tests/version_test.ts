/**
 * `/version` answers the MLflow release whose API mlt speaks (MLflow 3 clients gate features on
 * it); mlt's own version rides on every answer as `X-Mlt-Version` and shows in the UI header.
 */
import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };
import { MLFLOW_VERSION, MLT_VERSION } from "../src/version.ts";
import { MLFLOW_VERSION as SCHEMA_VERSION } from "../src/store/sqlite/schema.ts";
import { testApp } from "./helpers/api.ts";

Deno.test("/version is MLflow's; X-Mlt-Version is mlt's, on every answer", async () => {
  assert.equal(MLFLOW_VERSION, "3.17.2");
  assert.equal(MLT_VERSION, denoJson.version);
  assert.equal(SCHEMA_VERSION, MLFLOW_VERSION, "one MLflow version for the API and the schema");
  const t = await testApp();
  try {
    const v = await t.app.request("/version");
    assert.equal(await v.text(), MLFLOW_VERSION);
    assert.equal(v.headers.get("x-mlt-version"), MLT_VERSION);
    const err = await t.app.request("/api/2.0/mlflow/experiments/get?experiment_id=nope");
    assert.equal(err.status, 404);
    assert.equal(err.headers.get("x-mlt-version"), MLT_VERSION);
    await err.body?.cancel();
    const missing = await t.app.request("/api/2.0/mlflow/no-such-endpoint");
    assert.equal(missing.headers.get("x-mlt-version"), MLT_VERSION);
    await missing.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("the UI header shows mlt's version and the MLflow API it speaks", async () => {
  const { createUi } = await import("../ui/app.ts");
  const t = await testApp();
  try {
    const ui = createUi({ store: t.store });
    const html = await (await ui.app.request("/")).text();
    assert.ok(html.includes(`mlt ${MLT_VERSION} · MLflow ${MLFLOW_VERSION} API`), html);
    ui.close();
  } finally {
    await t.close();
  }
});
