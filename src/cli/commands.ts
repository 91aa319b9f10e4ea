/**
 * The subcommand table: one row per subcommand, each in its own file under src/cli/.
 * Heavy modules are imported lazily inside each command's action to keep `mlt --help` fast.
 */
import { Command } from "commander";
import { registerArtifacts } from "./artifacts.ts";
import type { CliContext } from "./context.ts";
import { registerDoctor } from "./doctor.ts";
import { registerExperiments } from "./experiments.ts";
import { registerGc } from "./gc.ts";
import { registerMigrate } from "./migrate.ts";
import { registerModels } from "./models.ts";
import { registerRun } from "./run.ts";
import { registerRuns } from "./runs.ts";
import { serverCommand, uiCommand } from "./server_command.ts";
import { MLT_VERSION } from "../version.ts";

/** A subcommand: registers itself (options, help, action) on the program. */
export type Subcommand = (program: Command, ctx: CliContext) => void;

const SUBCOMMANDS: Subcommand[] = [
  registerRun,
  serverCommand,
  uiCommand,
  registerMigrate,
  registerExperiments,
  registerRuns,
  registerArtifacts,
  registerModels,
  registerGc,
  registerDoctor,
];

/** Builds the `mlt` program with every subcommand registered. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command("mlt")
    .description("MLflow Projects + Tracking as one fast program")
    .version(MLT_VERSION, "-V, --version", "print mlt's version")
    .exitOverride()
    // Program options only before the subcommand, so `mlt run --version v1` reaches `run`.
    .enablePositionalOptions()
    .showHelpAfterError("(run with --help for usage)");
  for (const register of SUBCOMMANDS) register(program, ctx);
  return program;
}
