import assert from "node:assert/strict";
import { join } from "node:path";
import { defaultStore, holdsExperimentData } from "./default_uri.ts";

// Builds a folder from `files` (path → content; a trailing "/" makes an empty folder).
function layout(files: string[]): string {
  const dir = Deno.makeTempDirSync({ prefix: "mlt-default-store-" });
  for (const f of files) {
    const path = join(dir, f);
    if (f.endsWith("/")) Deno.mkdirSync(path, { recursive: true });
    else {
      Deno.mkdirSync(join(path, ".."), { recursive: true });
      Deno.writeTextFileSync(path, "x");
    }
  }
  return dir;
}

const RUN = "0123456789abcdef0123456789abcdef";

Deno.test("defaultStore() picks the folder's store as MLflow 3.7+ does", () => {
  const table: [string, string[], string, string][] = [
    ["nothing", [], "./mlruns", "default"],
    ["an empty mlruns", ["mlruns/"], "./mlruns", "default"],
    [
      "MLflow 3's default layout",
      ["mlflow.db", `mlruns/0/${RUN}/artifacts/a.txt`],
      "sqlite:///mlflow.db",
      "mlflow.db",
    ],
    ["a database alone", ["mlflow.db"], "sqlite:///mlflow.db", "mlflow.db"],
    ["a file store", ["mlruns/0/meta.yaml"], "./mlruns", "mlruns"],
    ["a file store with a database", ["mlruns/7/meta.yaml", "mlflow.db"], "./mlruns", "mlruns"],
    ["artifacts without their database", [`mlruns/0/${RUN}/artifacts/a`], "./mlruns", "default"],
    ["a folder named mlflow.db", ["mlflow.db/"], "./mlruns", "default"],
    ["deleted experiments only", [".trash/", "mlruns/.trash/5/meta.yaml"], "./mlruns", "default"],
  ];
  for (const [what, files, uri, source] of table) {
    const dir = layout(files);
    try {
      assert.deepEqual(defaultStore(dir), { uri, source }, what);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  }
});

Deno.test("holdsExperimentData() is MLflow's test: a digit folder holding meta.yaml", () => {
  const dir = layout(["a/0/meta.yaml", "b/exp/meta.yaml", "c/12/", "d/3/meta.yaml/"]);
  try {
    assert.equal(holdsExperimentData(join(dir, "a")), true);
    assert.equal(holdsExperimentData(join(dir, "b")), false, "not a digit name");
    assert.equal(holdsExperimentData(join(dir, "c")), false, "no meta.yaml");
    assert.equal(holdsExperimentData(join(dir, "d")), true, "any entry named meta.yaml");
    assert.equal(holdsExperimentData(join(dir, "missing")), false);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
