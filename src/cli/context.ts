/** What main.ts hands every subcommand: the environment (read once, at the edge) and the cwd. */

/** Context of one CLI invocation. */
export interface CliContext {
  /** Reads an environment variable. */
  env: (name: string) => string | undefined;
  /** The working directory the command was started in. */
  cwd: string;
}

/** The tracking URI a command uses: its flag, then MLFLOW_TRACKING_URI, then ./mlruns. */
export function trackingUri(ctx: CliContext, flag?: string): string {
  return flag || ctx.env("MLFLOW_TRACKING_URI") || "./mlruns";
}

/** mlt's own folder (environments, running servers): MLT_HOME, else `~/.mlt`; none without HOME. */
export function mltHome(ctx: CliContext): string | undefined {
  const home = ctx.env("HOME");
  return ctx.env("MLT_HOME") || (home ? `${home}/.mlt` : undefined);
}

/** A refused command line: main.ts prints it with the --help hint and exits 2, as commander does. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
