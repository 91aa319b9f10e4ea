import assert from "node:assert/strict";
import { dumpPyYaml } from "./pyyaml.ts";

// Expected bytes written by PyYAML 6 (libyaml) with MLflow's yaml.dump options.
const CASES: [Record<string, unknown>, string][] = [
  [{ name: "m", version: 3, description: null }, "description: null\nname: m\nversion: 3\n"],
  [{ d: "yes" }, "d: 'yes'\n"],
  [{ d: "" }, "d: ''\n"],
  [{ d: "1.5" }, "d: '1.5'\n"],
  [{ d: "x: y" }, "d: 'x: y'\n"],
  [{ d: "héllo ✓" }, "d: héllo ✓\n"],
  [{ d: "😀" }, 'd: "\\U0001F600"\n'],
  [{ d: "a\nb" }, "d: 'a\n\n  b'\n"],
  [{ d: "it's" }, "d: it's\n"],
  [{ d: "'q'" }, "d: '''q'''\n"],
  [{ d: "tab\there" }, 'd: "tab\\there"\n'],
  [{ d: "x".repeat(78) + " y" }, `d: ${"x".repeat(78)}\n  y\n`],
  [{ aliases: {} }, "aliases: {}\n"],
  [{ aliases: { champion: "1", "2": "3" } }, "aliases:\n  '2': '3'\n  champion: '1'\n"],
];

Deno.test("dumpPyYaml() writes PyYAML's bytes", () => {
  for (const [doc, want] of CASES) {
    assert.equal(dumpPyYaml(doc as Parameters<typeof dumpPyYaml>[0]), want, JSON.stringify(doc));
  }
});
