/** `mlt run [uri]`: runs an MLproject entry point in a new run (src/runner/run_project.ts). */
import type { Command } from "commander";
import type { CliContext } from "./context.ts";
import { mltHome, trackingUri } from "./context.ts";

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * Where to see a finished run: its page on the server it was logged to, on a live `mlt ui` of the
 * same store (src/cli/live_servers.ts), else the command that starts one. Never a guessed port.
 */
async function viewHint(
  ctx: CliContext,
  given: string | undefined,
  run: { storeUri: string; path: string },
): Promise<string> {
  if (/^https?:\/\//i.test(run.storeUri)) {
    return `${run.storeUri.replace(/\/+$/, "")}/#/${run.path}`;
  }
  const { findServer, storeKey } = await import("./live_servers.ts");
  const ui = await findServer(ctx, storeKey(run.storeUri, ctx.cwd));
  if (ui) return `${ui}/${run.path}`;
  const { shellQuote } = await import("../runner/command.ts");
  const start = given ? `mlt ui --backend-store-uri ${shellQuote(given)}` : "mlt ui";
  return `to see it, start \`${start}\` and open /${run.path} at the address it prints`;
}

/** Registers `mlt run`. */
export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command("run")
    .description("run an MLproject entry point and track it as a run")
    .argument(
      "[uri]",
      "project: a directory, file://, a git URL or git@host:path, with #subdir",
      ".",
    )
    .option("-e, --entry-point <name>", "entry point name, or a .py/.sh file", "main")
    .option("-v, --version <version>", "git branch, tag or commit to run")
    .option("-P, --param-list <name=value>", "a parameter (repeatable)", collect, [] as string[])
    .option("--experiment-name <name>", "experiment to run in (created if absent)")
    .option("--experiment-id <id>", "experiment id to run in")
    .option("--run-name <name>", "name of the new run")
    .option("--run-id <id>", "resume this existing run instead of creating one")
    .option(
      "--tracking-uri <uri>",
      "tracking store (default: MLFLOW_TRACKING_URI, else ./mlruns or ./mlflow.db as MLflow picks)",
    )
    .option("--env-manager <manager>", "local, virtualenv, uv or conda")
    .option("--no-conda", "run in the current environment (same as --env-manager local)")
    .option("--grace-period <seconds>", "wait between SIGTERM and SIGKILL on interrupt", "10")
    .option(
      "--no-system-metrics",
      "do not log the machine's and the entry point's CPU, memory, disk, network and GPU use as system/… metrics",
    )
    .option("--system-metrics-interval <seconds>", "seconds between system metric samples", "5")
    .option(
      "--serve-tracking",
      "serve the store to the entry point over http://127.0.0.1:<port> for the run " +
        "(automatic for stores the Python client cannot open; env MLT_RUN_SERVE_TRACKING=1)",
    )
    .option(
      "--allow-docker-volumes",
      "let docker_env.volumes mount host paths outside the project (such as / or $HOME)",
    )
    .option(
      "--no-save-output",
      "do not save the entry point's output as the artifact mlt/stdout.log",
    )
    .addHelpText(
      "after",
      "\nThe child gets MLFLOW_RUN_ID, MLFLOW_EXPERIMENT_ID and an absolute MLFLOW_TRACKING_URI." +
        "\nIts output is also saved as the run artifact mlt/stdout.log (on a terminal, through" +
        "\nutil-linux `script`, so the child keeps a terminal)." +
        "\nEnvironments (virtualenv, uv, conda) are cached in MLT_ENV_ROOT (default ~/.mlt/envs," +
        "\nor $MLT_HOME/envs)." +
        "\nA docker_env project runs its image with `docker run`, the project mounted at" +
        "\n/mlflow/projects/code; it needs a Docker engine that answers `docker info`." +
        "\nExit code: the entry point's; 130/143 when mlt run is interrupted by SIGINT/SIGTERM.",
    )
    .action(async (uri: string, opts: Record<string, unknown>, cmd: Command) => {
      const { runProject } = await import("../runner/run_project.ts");
      const { absoluteStoreUri } = await import("../store/open_uri.ts");
      const { isUsageError } = await import("../runner/params.ts");
      const { loadStore } = await import("../store/load.ts");
      const given = trackingUri(ctx, opts.trackingUri as string | undefined);
      // Relative store paths are taken from the invocation directory, not the process's.
      const storeUri = /^https?:/i.test(given) ? given : absoluteStoreUri(given, ctx.cwd);
      const seconds = (flag: string, value: unknown, allowZero: boolean): number => {
        const n = Number(value);
        if (!(allowZero ? n >= 0 : n > 0)) {
          cmd.error(`error: Invalid ${flag} "${value}": expected seconds`, { exitCode: 2 });
        }
        return n;
      };
      const grace = seconds("--grace-period", opts.gracePeriod, true);
      const interval = seconds("--system-metrics-interval", opts.systemMetricsInterval, false);
      const store = await loadStore(storeUri);
      // The Python client opens file stores itself; anything else but a server goes through a
      // tracking endpoint mlt serves for the run.
      const remote = /^https?:/i.test(storeUri);
      const serve = !remote &&
        (opts.serveTracking === true ||
          /^(1|true|yes|on)$/i.test(ctx.env("MLT_RUN_SERVE_TRACKING") ?? "") ||
          !/^file:/i.test(storeUri));
      try {
        Deno.exitCode = await runProject({
          uri,
          entryPoint: opts.entryPoint as string,
          params: opts.paramList as string[],
          version: opts.version as string | undefined,
          experimentName: opts.experimentName as string | undefined,
          experimentId: opts.experimentId as string | undefined,
          runName: opts.runName as string | undefined,
          runId: opts.runId as string | undefined,
          envManager: opts.envManager as string | undefined,
          noConda: opts.conda === false,
          cwd: ctx.cwd,
          env: Deno.env.toObject(),
          store,
          storeUri: given,
          log: (line) => console.error(line),
          graceMs: grace * 1000,
          systemMetrics: opts.systemMetrics !== false,
          systemMetricsIntervalMs: interval * 1000,
          terminal: Deno.stdout.isTerminal() && Deno.stderr.isTerminal(),
          stdinTerminal: Deno.stdin.isTerminal(),
          saveOutput: opts.saveOutput !== false,
          allowDockerVolumes: opts.allowDockerVolumes === true,
          envRoot: ctx.env("MLT_ENV_ROOT") || (mltHome(ctx) && `${mltHome(ctx)}/envs`),
          viewHint: (experimentId, runId) =>
            viewHint(ctx, (opts.trackingUri as string) || ctx.env("MLFLOW_TRACKING_URI"), {
              storeUri,
              path: `experiments/${experimentId}/runs/${runId}`,
            }),
          trackingServer: serve
            ? async () => {
              const { startTrackingEndpoint } = await import("./run_endpoint.ts");
              return await startTrackingEndpoint(store, ctx.cwd);
            }
            : undefined,
        });
      } catch (e) {
        if (isUsageError(e)) cmd.error(`error: ${(e as Error).message}`, { exitCode: 2 });
        throw e;
      } finally {
        await store.close();
      }
    });
}
