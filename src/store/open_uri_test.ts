import assert from "node:assert/strict";
import { absoluteStoreUri } from "./open_uri.ts";

Deno.test("absoluteStoreUri() makes store URIs absolute (a run's child gets them)", () => {
  const table: [string, string][] = [
    ["./mlruns", "file:///work/p/mlruns"],
    ["mlruns", "file:///work/p/mlruns"],
    ["/abs/ml runs", "file:///abs/ml%20runs"],
    ["file:///abs/mlruns", "file:///abs/mlruns"],
    ["file:rel/mlruns", "file:///work/p/rel/mlruns"],
    ["sqlite:///mlflow.db", "sqlite:////work/p/mlflow.db"],
    ["sqlite:////abs/x.db", "sqlite:////abs/x.db"],
    ["http://127.0.0.1:5000", "http://127.0.0.1:5000"],
    ["https://mlflow.example.com/x", "https://mlflow.example.com/x"],
    ["postgresql://u@h/db", "postgresql://u@h/db"],
  ];
  for (const [input, want] of table) assert.equal(absoluteStoreUri(input, "/work/p"), want, input);
});
