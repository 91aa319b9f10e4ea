import assert from "node:assert/strict";
import { newExperimentId, newRunId, randomRunName } from "./ids.ts";

Deno.test("newRunId() gives 32 lowercase hex characters, unique", () => {
  const ids = new Set(Array.from({ length: 1000 }, newRunId));
  assert.equal(ids.size, 1000);
  for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
});

Deno.test("newExperimentId() gives 18 digits that never start with 0", () => {
  for (let i = 0; i < 2000; i++) assert.match(newExperimentId(), /^[1-9][0-9]{17}$/);
});

Deno.test("randomRunName() is adjective-noun-number within 20 characters", () => {
  for (let i = 0; i < 500; i++) {
    const name = randomRunName();
    assert.match(name, /^[a-z]+-[a-z]+-\d{1,3}$/);
    assert.ok(name.length <= 20, name);
  }
});
