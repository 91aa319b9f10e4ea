#!/usr/bin/env -S deno run -A
/**
 * mlt: MLflow Projects + Tracking as one Deno program. This file only dispatches and turns errors
 * into output: MltError → "error: …" on stderr, exit 1; usage mistakes exit 2. `mlt server` /
 * `mlt ui` go straight to their module, without commander, so a server starts sooner and idles
 * smaller (its help still comes from commander); every other command goes through commander.
 */
import { UsageError } from "./src/cli/context.ts";
import { MltError } from "./src/errors.ts";

const USAGE_HINT = "(run with --help for usage)";

/** Runs the CLI with `args` and returns the process exit code. */
export async function main(args: string[]): Promise<number> {
  const ctx = { env: (name: string) => Deno.env.get(name), cwd: Deno.cwd() };
  try {
    const server = args[0] === "server" || args[0] === "ui";
    if (server && !(await import("./src/cli/server_options.ts")).wantsHelp(args.slice(1))) {
      const { serverMain } = await import("./src/cli/server.ts");
      await serverMain(args.slice(1), ctx);
    } else {
      const { buildProgram } = await import("./src/cli/commands.ts");
      await buildProgram(ctx).parseAsync(server ? [args[0], "--help"] : args, { from: "user" });
    }
    return typeof Deno.exitCode === "number" ? Deno.exitCode : 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}\n${USAGE_HINT}`);
      return 2;
    }
    if (isCommanderExit(e)) {
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

// commander's exits are recognised by their code ("commander.…"), not by class: importing the
// class would load commander for every command, and a minified bundle renames it.
function isCommanderExit(e: unknown): e is { exitCode: number } {
  return typeof e === "object" && e !== null &&
    String((e as { code?: unknown }).code).startsWith("commander.") &&
    typeof (e as { exitCode?: unknown }).exitCode === "number";
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
