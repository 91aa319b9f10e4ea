import assert from "node:assert/strict";
import { localArtifactDir } from "./artifact_dir.ts";

Deno.test("localArtifactDir() finds local artifact locations only", () => {
  const table: [string, string | undefined][] = [
    ["file:///abs/mlruns/0/r/artifacts", "/abs/mlruns/0/r/artifacts"],
    ["file:///abs/ml%20runs/a", "/abs/ml runs/a"],
    ["file://localhost/abs/a", "/abs/a"],
    ["file:rel/a", "/work/p/rel/a"],
    ["/abs/a", "/abs/a"],
    ["rel/a", "/work/p/rel/a"],
    ["mlflow-artifacts:/0/r/artifacts", undefined],
    ["s3://bucket/x", undefined],
    ["http://h/x", undefined],
    ["file://otherhost/x", undefined],
    ["", undefined],
  ];
  for (const [uri, want] of table) assert.equal(localArtifactDir(uri, "/work/p"), want, uri);
});
