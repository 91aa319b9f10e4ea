import assert from "node:assert/strict";
import { closest } from "./suggest.ts";

Deno.test("closest() suggests near misses and nothing for far ones", () => {
  const cases: [string, string[], string | undefined][] = [
    ["nme", ["name", "greeting", "times"], "name"],
    ["prot", ["host", "port", "workers"], "port"],
    ["greting", ["name", "greeting"], "greeting"],
    ["Name", ["name"], "name"], // case only
    ["tmies", ["times", "name"], "times"], // two letters swapped: one edit
    ["backend-store", ["backend-store-uri", "default-artifact-root"], undefined], // 4 edits
    ["backend-stor-uri", ["backend-store-uri", "registry-store-uri"], "backend-store-uri"],
    ["x", ["y", "xy"], undefined], // names this short are too easy to confuse
    ["ab", ["cd"], undefined],
    ["foo", ["name", "greeting"], undefined],
    ["name", ["name"], undefined], // an exact match is no suggestion
    ["nmae", ["name", "nmaex"], "name"], // the nearest wins
    ["lr", [], undefined],
  ];
  for (const [word, candidates, want] of cases) {
    assert.equal(closest(word, candidates), want, `${word} in ${candidates}`);
  }
});
