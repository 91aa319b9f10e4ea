/**
 * `mlt server` and `mlt ui` in commander's table, for `mlt --help` and `mlt server --help` only:
 * main.ts hands every other `server` / `ui` command line to src/cli/server.ts, which parses it
 * from the same option table without loading commander.
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import type { CliContext } from "./context.ts";
import { optionFlags, SERVER_OPTIONS } from "./server_options.ts";

function register(name: "server" | "ui", program: Command): void {
  const cmd = program.command(name)
    .description(
      name === "server"
        ? "serve MLflow's tracking REST API and artifact proxy"
        : "serve the web UI and tracking API locally (same options as `mlt server`)",
    )
    .helpOption("--help", "show help (so does -h alone)");
  for (const o of SERVER_OPTIONS) {
    const option = new Option(optionFlags(o), o.description);
    if (o.choices) option.choices(o.choices);
    const parse = o.parse;
    if (parse) {
      option.argParser((v: string) => {
        try {
          return parse(v);
        } catch (e) {
          throw new InvalidArgumentError((e as Error).message);
        }
      });
    }
    cmd.addOption(option);
  }
  cmd.action(() => {
    throw new Error(`main.ts runs \`mlt ${name}\` without commander`);
  });
}

/** Registers `mlt server`. */
export function serverCommand(program: Command, _ctx: CliContext): void {
  register("server", program);
}

/** Registers `mlt ui`. */
export function uiCommand(program: Command, _ctx: CliContext): void {
  register("ui", program);
}
