import assert from "node:assert/strict";
import { MltError } from "../errors.ts";
import { parseDuration } from "./duration.ts";

Deno.test("parseDuration() reads MLflow's #d#h#m#s strings", () => {
  const table: [string, number][] = [
    ["8h", 8 * 3600_000],
    ["2d8h5m20s", ((2 * 24 + 8) * 60 + 5) * 60_000 + 20_000],
    ["2m4s", 124_000],
    ["1.5d", 36 * 3600_000],
    [".5h", 1800_000],
    ["0s", 0],
    [" 3m ", 180_000],
  ];
  for (const [text, ms] of table) assert.equal(parseDuration(text), ms, text);
});

Deno.test("parseDuration() refuses anything else with MLflow's message", () => {
  for (const text of ["", "8", "h", "2x", "8h2d", "1d1d", "-1h", "1 h", "1.2.3s", "abc"]) {
    assert.throws(
      () => parseDuration(text),
      (e: unknown) =>
        e instanceof MltError && e.message.startsWith("Could not parse any time information"),
      text,
    );
  }
});
