/**
 * `mlt artifacts list | download | log-artifact | log-artifacts` — MLflow's `mlflow artifacts`:
 * local artifact locations directly, `mlflow-artifacts:` ones through the tracking server.
 */
import type { Command } from "commander";
import { resolve } from "node:path";
import type { TrackingStore } from "../store/store.ts";
import type { CliContext } from "./context.ts";
import { trackingUri } from "./context.ts";
import {
  colorOn,
  printJson,
  progress,
  storeOptions,
  styles,
  table,
  usage,
  withStore,
} from "./output.ts";

interface Flags {
  trackingUri?: string;
  json?: boolean;
  runId?: string;
  artifactPath?: string;
  artifactUri?: string;
  dstPath?: string;
  localFile?: string;
  localDir?: string;
}

async function runRepo(ctx: CliContext, o: Flags, runId: string, store: TrackingStore) {
  const { openArtifactRepo } = await import("../store/artifacts.ts");
  const { httpOptionsFromEnv } = await import("../store/store.ts");
  const run = await store.getRun(runId);
  return openArtifactRepo(run.info.artifactUri, {
    trackingUri: trackingUri(ctx, o.trackingUri),
    http: httpOptionsFromEnv(ctx.env),
    runId,
    env: ctx.env,
  });
}

function size(n: number | undefined): string {
  if (n === undefined) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n, u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** Registers `mlt artifacts`. */
export function registerArtifacts(program: Command, ctx: CliContext): void {
  const group = program.command("artifacts")
    .description("list, download and log run artifacts")
    .addHelpText(
      "after",
      "\nLocal and s3:// artifact locations are read and written directly (S3 settings from" +
        "\nMLFLOW_S3_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, …); mlflow-artifacts: ones" +
        "\nthrough the http(s) tracking server (--tracking-uri)." +
        "\nExit codes: 0 ok, 1 error (unknown run or path, server unreachable), 2 usage error.",
    );
  const runOption = (cmd: Command) =>
    cmd.argument("[run-id]", "the run (or --run-id)").option("-r, --run-id <id>", "the run");
  const pickRun = (cmd: Command, arg: string | undefined, o: Flags): string => {
    const id = arg ?? o.runId;
    if (id === undefined || (arg !== undefined && o.runId !== undefined)) {
      usage(cmd, "name the run once: as an argument or with --run-id");
    }
    return id;
  };

  storeOptions(
    runOption(group.command("list"))
      .description("list the artifacts directly under a path of a run")
      .option("-a, --artifact-path <path>", "folder inside the run's artifacts (default: the top)"),
  ).action(async (arg: string | undefined, o: Flags, cmd: Command) => {
    const runId = pickRun(cmd, arg, o);
    await withStore(ctx, o.trackingUri, async (store) => {
      const repo = await runRepo(ctx, o, runId, store);
      const entries = await repo.list(o.artifactPath ?? "");
      if (o.json) return printJson(entries);
      const s = styles(colorOn(ctx));
      console.log(table(
        ["PATH", "SIZE"].map(s.bold),
        entries.map((e) => [e.isDir ? `${e.path}/` : e.path, size(e.size)]),
      ));
    });
  });

  storeOptions(
    runOption(group.command("download"))
      .description("download a run's artifacts (a file or a folder) and print the local path")
      .option(
        "-a, --artifact-path <path>",
        "file or folder inside the run's artifacts (default: all)",
      )
      .option("-u, --artifact-uri <uri>", "download from this artifact URI instead of a run")
      .option("-d, --dst-path <dir>", "where to put them (default: the current directory)"),
    false,
  ).action(async (arg: string | undefined, o: Flags, cmd: Command) => {
    const { downloadPath, openArtifactRepo } = await import("../store/artifacts.ts");
    const { httpOptionsFromEnv } = await import("../store/store.ts");
    const dest = resolve(ctx.cwd, o.dstPath ?? ".");
    const bar = progress("download");
    let n = 0;
    const onFile = (path: string) => bar.tick(++n, undefined, path);
    if (o.artifactUri !== undefined) {
      if (arg !== undefined || o.runId !== undefined) {
        usage(cmd, "give either a run or --artifact-uri");
      }
      const repo = openArtifactRepo(o.artifactUri, {
        trackingUri: trackingUri(ctx, o.trackingUri),
        http: httpOptionsFromEnv(ctx.env),
        env: ctx.env,
      });
      const local = await downloadPath(repo, o.artifactPath ?? "", dest, onFile);
      bar.done();
      console.log(local);
      return;
    }
    const runId = pickRun(cmd, arg, o);
    await withStore(ctx, o.trackingUri, async (store) => {
      const repo = await runRepo(ctx, o, runId, store);
      const local = await downloadPath(repo, o.artifactPath ?? "", dest, onFile);
      bar.done();
      console.log(local);
    });
  });

  for (const kind of ["log-artifact", "log-artifacts"] as const) {
    const file = kind === "log-artifact";
    const cmd = runOption(group.command(kind))
      .description(
        file
          ? "log a local file as an artifact of a run"
          : "log a local folder's contents as artifacts of a run",
      )
      .option("-a, --artifact-path <path>", "folder inside the run's artifacts (default: the top)");
    if (file) cmd.requiredOption("-l, --local-file <file>", "the file to log");
    else cmd.requiredOption("-l, --local-dir <dir>", "the folder whose contents to log");
    storeOptions(cmd, false).action(async (arg: string | undefined, o: Flags, c: Command) => {
      const { uploadPath } = await import("../store/artifacts.ts");
      const runId = pickRun(c, arg, o);
      const local = resolve(ctx.cwd, (file ? o.localFile : o.localDir)!);
      const st = await Deno.stat(local).catch(() => undefined);
      if (!st) usage(c, `"${local}" does not exist`);
      if (file && !st.isFile) usage(c, `"${local}" is not a file; use log-artifacts for folders`);
      if (!file && !st.isDirectory) usage(c, `"${local}" is not a folder; use log-artifact`);
      await withStore(ctx, o.trackingUri, async (store) => {
        const repo = await runRepo(ctx, o, runId, store);
        const bar = progress("upload");
        let n = 0;
        const count = await uploadPath(
          repo,
          local,
          o.artifactPath ?? "",
          (p) => bar.tick(++n, undefined, p),
        );
        bar.done();
        const where = o.artifactPath ? ` under "${o.artifactPath}"` : "";
        console.log(
          `Logged ${count} file${count === 1 ? "" : "s"} from ${local} to run ${runId}${where}`,
        );
      });
    });
  }
}
