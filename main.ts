#!/usr/bin/env -S deno run -A
/**
 * mlt: MLflow Projects + Tracking as one Deno program. This file only builds the CLI and turns
 * errors into output: MltError → "error: …" on stderr, exit 1; usage mistakes exit 2.
 */
import { CommanderError } from "commander";
import { buildProgram } from "./src/cli/commands.ts";
import { MltError } from "./src/errors.ts";

/** Runs the CLI with `args` and returns the process exit code. */
export async function main(args: string[]): Promise<number> {
  const program = buildProgram({ env: (name) => Deno.env.get(name), cwd: Deno.cwd() });
  try {
    await program.parseAsync(args, { from: "user" });
    return typeof Deno.exitCode === "number" ? Deno.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed the message (or the help / version text).
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof MltError) {
      console.error(`error: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
