/**
 * mlt's PyYAML-exact writer (src/store/file/pyyaml.ts) against the real PyYAML (libyaml's
 * emitter, as MLflow dumps meta.yaml): thousands of seeded random strings of quotes, colons,
 * hashes, spaces, line breaks, control characters, BOMs, emoji and long words, as values and as
 * keys of a nested mapping, must come out byte for byte the same. Needs the venv python.
 */
import assert from "node:assert/strict";
import { dumpPyYaml, type YamlMap } from "../../src/store/file/pyyaml.ts";
import { runPython } from "./python.ts";

const DUMP = `
import json, sys, yaml
for doc in json.load(sys.stdin):
    sys.stdout.write(json.dumps(yaml.dump(doc, default_flow_style=False, allow_unicode=True,
                                          sort_keys=True, Dumper=yaml.CSafeDumper)) + "\\n")
`;

// A seeded generator (mulberry32), so a failure reproduces.
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABETS = [
  [..."ab c"],
  [..."ab c\n"],
  [..."ab c\n'\""],
  [..."x:#-?'\" \t\r\\.,[]{}&*!|>%@`"],
  ["é", "✓", "\x85", "\u2028", "\xa0", "\ufeff", "😀", "\0", "\x1b", "\x7f", " ", "a"],
];
const WORDS = ["yes", "No", "on", "1", "-1", "0x1F", "0o7", "1_000", "1.5", ".inf", "~", "null"]
  .concat(["2001-12-14", "=", "<<", "---", "...", "- a", "a: b", "#c", "a #b", "", " "]);

function documents(n: number): YamlMap[] {
  const rnd = random(17);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const text = () => {
    if (rnd() < 0.1) return pick(WORDS);
    const alphabet = pick(ALPHABETS);
    const length = pick([1, 3, 10, 40, 79, 81, 85, 120, 200, 320]);
    return Array.from({ length }, () => pick(alphabet)).join("");
  };
  return Array.from({ length: n }, () => {
    const name = [...text()].slice(0, 30).join("");
    const doc: YamlMap = { description: text(), name, version: 7, none: null };
    if (rnd() < 0.3) {
      doc.aliases = Object.fromEntries(
        Array.from(
          { length: Math.floor(rnd() * 3) },
          () => [pick(["a", "1", "yes", "x".repeat(130)]), "2"],
        ),
      );
    }
    return doc;
  });
}

Deno.test("dumpPyYaml() writes what PyYAML writes, byte for byte", async () => {
  const docs = documents(3000);
  const want = (await runPython(["-c", DUMP], JSON.stringify(docs))).trimEnd().split("\n")
    .map((l) => JSON.parse(l) as string);
  assert.equal(want.length, docs.length);
  let bad = 0;
  docs.forEach((d, i) => {
    if (dumpPyYaml(d) !== want[i]) {
      bad++;
      assert.equal(dumpPyYaml(d), want[i], JSON.stringify(d));
    }
  });
  assert.equal(bad, 0);
});
