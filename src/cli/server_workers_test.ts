import assert from "node:assert/strict";
import { runFlagsBefore } from "./server_workers.ts";

const MAIN = "file:///home/me/mlt/main.ts";

Deno.test("runFlagsBefore: V8 flags, unstable features and configuration before the main module", () => {
  const flags = "--v8-flags=--min-semi-space-size=4";
  assert.deepEqual(
    runFlagsBefore(
      ["deno", "run", "-A", flags, "--config", "deno.json", "main.ts", "server"],
      MAIN,
      "/home/me/mlt",
    ),
    [flags, "--config", "deno.json"],
  );
  assert.deepEqual(
    runFlagsBefore(
      ["deno", "run", flags, "--v8-flags=--max-semi-space-size=2", "/home/me/mlt/main.ts"],
      MAIN,
      "/",
    ),
    [flags, "--v8-flags=--max-semi-space-size=2"],
  );
  // A path that needs escaping in a URL still names the module.
  assert.deepEqual(
    runFlagsBefore(["deno", "run", flags, "my mlt/main.ts"], "file:///w/my%20mlt/main.ts", "/w"),
    [flags],
  );
  // The installed command: a bundle named by its URL, Deno's own isolating configuration.
  const bundle = "file:///opt/mlt/dist/mlt/main.js";
  assert.deepEqual(
    runFlagsBefore(
      [
        "deno",
        "run",
        "--allow-all",
        "--unstable-lazy-dynamic-imports",
        "--unstable-net",
        flags,
        "--config",
        "/home/me/.deno/bin/.mlt/deno.json",
        bundle,
        "server",
        "--workers",
        "2",
      ],
      bundle,
      "/tmp",
    ),
    [
      "--unstable-lazy-dynamic-imports",
      "--unstable-net",
      flags,
      "--config",
      "/home/me/.deno/bin/.mlt/deno.json",
    ],
  );
  assert.deepEqual(
    runFlagsBefore(["deno", "run", "--no-config", "--config=x.json", bundle], bundle, "/"),
    ["--no-config", "--config=x.json"],
  );
});

Deno.test("runFlagsBefore: a config file is not the main module; words after it are not flags", () => {
  const flags = "--v8-flags=--expose-gc";
  assert.deepEqual(runFlagsBefore(["deno", "run", "main.ts", flags], MAIN, "/home/me/mlt"), []);
  assert.deepEqual(runFlagsBefore(["deno", "run", flags, "other.ts"], MAIN, "/home/me/mlt"), []);
  // `-c main.ts` names a (strange) config file, not the module.
  assert.deepEqual(
    runFlagsBefore(["deno", "run", "-c", "main.ts", "main.ts"], MAIN, "/home/me/mlt"),
    ["-c", "main.ts"],
  );
});
