/**
 * A lone UTF-16 surrogate in a name or value: mlt refuses it, so the real MLflow client can still
 * read the whole tree afterwards (a `\uD800` escape in a meta.yaml breaks MLflow's
 * search_experiments and search_runs for everything in the store).
 */
import assert from "node:assert/strict";
import { MltError } from "../../src/errors.ts";
import { FileStore } from "../../src/store/file/file_store.ts";
import { loneSurrogateWrites } from "../store_contract.ts";
import { readWithMlflow } from "./file_tree.ts";

Deno.test("MLflow reads an mlruns tree after mlt refused every lone surrogate", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-compat-lone-" });
  try {
    const root = `${dir}/mlruns`;
    const store = new FileStore(root, { warn: () => {} });
    const e = await store.createExperiment("kept");
    const id = (await store.createRun({ experimentId: e, runName: "r" })).info.runId;
    await store.logParam(id, { key: "p", value: "ok ✓" });
    const refused: string[] = [];
    for (const [what, attempt] of loneSurrogateWrites(store, e, id)) {
      try {
        await attempt();
      } catch (err) {
        if (err instanceof MltError && err.code === "INVALID_PARAMETER_VALUE") refused.push(what);
        else throw err;
      }
    }
    await store.close();
    const tree = await readWithMlflow(root);
    assert.equal(refused.length, loneSurrogateWrites(store, e, id).length, refused.join(", "));
    assert.deepEqual(tree.experiments.map((x) => x.name).sort(), ["Default", "kept"]);
    assert.deepEqual(tree.runs.map((r) => [r.run_id, r.run_name, r.params]), [
      [id, "r", { p: "ok ✓" }],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
