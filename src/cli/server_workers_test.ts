import assert from "node:assert/strict";
import { v8FlagsBefore } from "./server_workers.ts";

const MAIN = "file:///home/me/mlt/main.ts";

Deno.test("v8FlagsBefore: the V8 flags before the main module, relative or absolute", () => {
  const flags = "--v8-flags=--min-semi-space-size=4";
  assert.deepEqual(
    v8FlagsBefore(
      ["deno", "run", "-A", flags, "--config", "deno.json", "main.ts", "server"],
      MAIN,
      "/home/me/mlt",
    ),
    [flags],
  );
  assert.deepEqual(
    v8FlagsBefore(
      ["deno", "run", flags, "--v8-flags=--max-semi-space-size=2", "/home/me/mlt/main.ts"],
      MAIN,
      "/",
    ),
    [flags, "--v8-flags=--max-semi-space-size=2"],
  );
  // A path that needs escaping in a URL still names the module.
  assert.deepEqual(
    v8FlagsBefore(["deno", "run", flags, "my mlt/main.ts"], "file:///w/my%20mlt/main.ts", "/w"),
    [flags],
  );
});

Deno.test("v8FlagsBefore: words after the main module, or no main module found, give nothing", () => {
  const flags = "--v8-flags=--expose-gc";
  assert.deepEqual(v8FlagsBefore(["deno", "run", "main.ts", flags], MAIN, "/home/me/mlt"), []);
  assert.deepEqual(v8FlagsBefore(["deno", "run", flags, "other.ts"], MAIN, "/home/me/mlt"), []);
});
