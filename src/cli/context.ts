/** What main.ts hands every subcommand: the environment (read once, at the edge) and the cwd. */
import { defaultStore, type ResolvedStore } from "../store/default_uri.ts";

/** Context of one CLI invocation. */
export interface CliContext {
  /** Reads an environment variable. */
  env: (name: string) => string | undefined;
  /** The working directory the command was started in. */
  cwd: string;
}

/**
 * The store a command uses and why: its flag, then MLFLOW_TRACKING_URI, then what the working
 * folder holds (store/default_uri.ts: `./mlruns` with data, `./mlflow.db`, else `./mlruns`).
 * Every command resolves its store here, so they all agree.
 */
export function resolveTrackingUri(ctx: CliContext, flag?: string): ResolvedStore {
  if (flag) return { uri: flag, source: "flag" };
  const env = ctx.env("MLFLOW_TRACKING_URI");
  if (env) return { uri: env, source: "env" };
  return defaultStore(ctx.cwd);
}

/** The tracking URI a command uses (see resolveTrackingUri). */
export function trackingUri(ctx: CliContext, flag?: string): string {
  return resolveTrackingUri(ctx, flag).uri;
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
