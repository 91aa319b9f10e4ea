/**
 * `mlt gc`: permanently deletes deleted runs, logged models and experiments and their local
 * artifacts, as `mlflow gc`. Everything is checked before anything is removed: one run that is
 * not deleted (or not old enough) stops the whole command with nothing done.
 */
import type { Command } from "commander";
import { basename, dirname, resolve, sep } from "node:path";
import { MltError } from "../errors.ts";
import type { Experiment, RunInfo } from "../model.ts";
import { checkArtifactPath } from "../store/artifact_path.ts";
import { parseS3Uri, s3UriOf, s3Within } from "../store/s3/s3_config.ts";
import { allPages, type TrackingStore } from "../store/store.ts";
import type { CliContext } from "./context.ts";
import { type ModelPlan, planModels } from "./gc_models.ts";
import {
  commaList,
  confirm,
  durationArg,
  formatDuration,
  printJson,
  progress,
  storeOptions,
  usage,
  warnLine,
  withStore,
} from "./output.ts";

interface Flags {
  trackingUri?: string;
  backendStoreUri?: string;
  json?: boolean;
  olderThan?: number;
  runIds?: string[];
  experimentIds?: string[];
  loggedModelIds?: string[];
  artifactsDestination?: string;
  yes?: boolean;
  dryRun?: boolean;
}

/** What gc will remove: runs and logged models (with their local artifact folders), experiments. */
interface Plan {
  runs: { info: RunInfo; artifacts?: string }[];
  models: ModelPlan[];
  experiments: Experiment[];
}

/** Registers `mlt gc`. */
export function registerGc(program: Command, ctx: CliContext): void {
  storeOptions(
    program.command("gc")
      .description("permanently delete deleted runs and experiments and their local artifacts")
      .option(
        "--older-than <duration>",
        "only what was deleted longer ago, e.g. 2d8h, 30m, 1.5d",
        durationArg,
      )
      .option("--run-ids <ids>", "only these deleted runs (comma-separated)", commaList)
      .option("--experiment-ids <ids>", "only these deleted experiments and their runs", commaList)
      .option("--logged-model-ids <ids>", "only these deleted logged models", commaList)
      .option("--backend-store-uri <uri>", "same as --tracking-uri (MLflow's name)")
      .option(
        "--artifacts-destination <dir>",
        "where mlflow-artifacts: URIs live, a folder or s3://bucket/prefix (default: " +
          "MLFLOW_ARTIFACTS_DESTINATION or ./mlartifacts); s3:// artifacts are removed only inside it",
      )
      .option("-y, --yes", "do not ask for confirmation")
      .option("--dry-run", "print what would be deleted and stop"),
  ).addHelpText(
    "after",
    "\nWithout --run-ids, --experiment-ids and --logged-model-ids, everything in the deleted state" +
      "\ngoes. Runs must be deleted first (`mlt runs delete`), experiments too (`mlt experiments" +
      "\ndelete`); a purged experiment takes its logged models along." +
      "\nAsks before deleting unless --yes; without a terminal, --yes is required." +
      "\nExit codes: 0 ok (also when nothing is deleted), 1 error (nothing is deleted when a" +
      "\ncheck fails), 2 usage error or no confirmation.",
  ).action(async (o: Flags, cmd: Command) => {
    if (o.backendStoreUri && o.trackingUri && o.backendStoreUri !== o.trackingUri) {
      usage(cmd, "--tracking-uri and --backend-store-uri name different stores");
    }
    const given = o.artifactsDestination ?? ctx.env("MLFLOW_ARTIFACTS_DESTINATION") ??
      "mlartifacts";
    const dest = /^s3:\/\//i.test(given) ? given : resolve(ctx.cwd, given);
    await withStore(ctx, o.trackingUri ?? o.backendStoreUri, async (store) => {
      const plan = await makePlan(store, o, dest);
      const total = plan.runs.length + plan.models.length + plan.experiments.length;
      if (o.dryRun || total === 0) return report(plan, o, true);
      if (!o.yes) {
        console.error(summary(plan));
        if (!(await confirm("Permanently delete them?"))) {
          usage(cmd, "nothing deleted: confirm on a terminal or pass --yes");
        }
      }
      await execute(store, plan, o, ctx.env);
    });
  });
}

async function makePlan(store: TrackingStore, o: Flags, dest: string): Promise<Plan> {
  const { localArtifactDir } = await import("../store/artifacts.ts");
  // Also the probe that the store can delete for good (a REST store cannot).
  const before = o.olderThan === undefined ? undefined : Date.now() - o.olderThan;
  const allDeleted = await store.deletedRunIds(before);
  const named = !!(o.runIds?.length || o.experimentIds?.length || o.loggedModelIds?.length);
  const age = o.olderThan === undefined ? "" : formatDuration(o.olderThan);
  const problems: string[] = [];

  let experiments: Experiment[];
  if (o.experimentIds?.length) {
    experiments = [];
    for (const id of new Set(o.experimentIds)) experiments.push(await store.getExperiment(id));
    const active = experiments.filter((e) => e.lifecycleStage !== "deleted");
    if (active.length) {
      problems.push(
        `Experiments [${active.map((e) => e.experimentId).join(", ")}] are not in the deleted ` +
          "lifecycle stage; delete them first (`mlt experiments delete`)",
      );
    }
    const young = experiments.filter((e) =>
      before !== undefined && e.lastUpdateTime !== undefined && e.lastUpdateTime >= before
    );
    if (young.length) {
      problems.push(
        `Experiments [${young.map((e) => e.experimentId).join(", ")}] were deleted less than ` +
          `${age} ago`,
      );
    }
  } else if (named) experiments = [];
  else {
    experiments = (await allPages((pageToken, maxResults) =>
      store.searchExperiments({ viewType: "DELETED_ONLY", maxResults, pageToken })
    )).items.filter((e) =>
      before === undefined || e.lastUpdateTime === undefined || e.lastUpdateTime < before
    );
  }

  const runIds = new Set(named ? o.runIds ?? [] : allDeleted);
  const infos = new Map<string, RunInfo>();
  for (const id of runIds) {
    const info = (await store.getRun(id)).info;
    infos.set(id, info);
    if (info.lifecycleStage !== "deleted") {
      problems.push(
        `Run ${id} is not in the deleted lifecycle stage; delete it first (\`mlt runs delete\`)`,
      );
    } else if (
      before !== undefined && info.deletedTime !== undefined && info.deletedTime >= before
    ) {
      problems.push(`Run ${id} was deleted less than ${age} ago`);
    }
  }
  if (experiments.length) {
    // Every run of a deleted experiment goes with it.
    const { items } = await allPages((pageToken, maxResults) =>
      store.searchRuns({
        experimentIds: experiments.map((e) => e.experimentId),
        viewType: "ALL",
        maxResults,
        pageToken,
      })
    );
    for (const r of items) infos.set(r.info.runId, r.info);
  }
  const ownedDir = (uri: string, id: string, what: string) =>
    artifactDir(uri, id, what, dest, localArtifactDir);
  const models = await planModels(store, {
    ids: o.loggedModelIds,
    named,
    before,
    age,
    experimentIds: experiments.map((e) => e.experimentId),
    artifactDir: ownedDir,
  }, problems);
  if (problems.length) {
    throw new MltError("INVALID_STATE", `Nothing deleted: ${problems.join("; ")}`);
  }
  const runs = [...infos.values()].map((info) => ({
    info,
    artifacts: ownedDir(info.artifactUri, info.runId, "run"),
  }));
  return { runs, models, experiments };
}

// The local folder holding a run's or model's artifacts, if mlt can and may remove it.
function artifactDir(
  uri: string,
  owner: string,
  what: string,
  dest: string,
  local: (uri: string) => string | undefined,
): string | undefined {
  if (!uri) return undefined;
  let dir: string | undefined;
  const proxied = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/i.exec(uri);
  const s3 = s3Target(uri, proxied?.[1], dest);
  if (s3 !== undefined) {
    if (s3 === "") {
      warnLine(`${what} ${owner}: "${uri}" lies outside --artifacts-destination; left in place`);
      return undefined;
    }
    dir = s3;
  } else if (proxied) dir = resolve(dest, proxied[1]);
  else {
    try {
      dir = local(uri);
    } catch {
      dir = undefined;
    }
  }
  if (dir === undefined) {
    warnLine(`${what} ${owner}: artifacts at "${uri}" are not local; they are left in place`);
    return undefined;
  }
  // Only a folder named after the owner (…/<id>/artifacts) is removed: never a shared root.
  if (!dir.split(/^s3:/i.test(dir) ? "/" : sep).includes(owner)) {
    warnLine(
      `${what} ${owner}: "${dir}" is not a folder of this ${what}; its artifacts are left in place`,
    );
    return undefined;
  }
  return dir;
}

function summary(p: Plan): string {
  const lines = [
    `mlt gc will permanently delete ${p.runs.length} run(s)` +
    (p.models.length ? `, ${p.models.length} logged model(s)` : "") +
    ` and ${p.experiments.length} experiment(s):`,
  ];
  const show = (items: string[]) => {
    for (const x of items.slice(0, 20)) lines.push(`  ${x}`);
    if (items.length > 20) lines.push(`  … and ${items.length - 20} more`);
  };
  show(p.experiments.map((e) => `experiment ${e.experimentId} '${e.name}'`));
  show(p.runs.map((r) => `run ${r.info.runId}${r.artifacts ? ` (artifacts ${r.artifacts})` : ""}`));
  show(
    p.models.map((m) =>
      `logged model ${m.modelId}${m.artifacts ? ` (artifacts ${m.artifacts})` : ""}`
    ),
  );
  return lines.join("\n");
}

function report(p: Plan, o: Flags, dryRun: boolean): void {
  if (o.json) {
    return printJson({
      dryRun,
      runs: p.runs.map((r) => ({ runId: r.info.runId, artifacts: r.artifacts ?? null })),
      loggedModels: p.models.map((m) => ({ modelId: m.modelId, artifacts: m.artifacts ?? null })),
      experiments: p.experiments.map((e) => e.experimentId),
    });
  }
  if (p.runs.length + p.models.length + p.experiments.length === 0) {
    console.log("Nothing to delete.");
  } else console.log(summary(p).replace("will permanently delete", "would permanently delete"));
}

async function execute(
  store: TrackingStore,
  p: Plan,
  o: Flags,
  env: (name: string) => string | undefined,
): Promise<void> {
  const bar = progress("gc");
  const total = p.runs.length + p.models.length + p.experiments.length;
  let done = 0;
  const say = (line: string) => {
    if (!o.json) console.log(line);
    bar.tick(++done, total);
  };
  for (const r of p.runs) {
    await removeArtifacts(r.artifacts, r.info.runId, env);
    await store.hardDeleteRun(r.info.runId);
    say(`Run with ID ${r.info.runId} has been permanently deleted.`);
  }
  for (const m of p.models) {
    await removeArtifacts(m.artifacts, m.modelId, env);
    await store.hardDeleteLoggedModel(m.modelId);
    say(`Logged model with ID ${m.modelId} has been permanently deleted.`);
  }
  for (const e of p.experiments) {
    await store.hardDeleteExperiment(e.experimentId);
    say(`Experiment with ID ${e.experimentId} has been permanently deleted.`);
  }
  bar.done();
  if (o.json) report(p, o, false);
}

/**
 * The `s3://` location gc may empty for an artifact URI: an `mlflow-artifacts:` path under an
 * S3 destination, or an `s3://` URI inside it; "" when it is in S3 but outside the destination;
 * undefined when S3 is not involved.
 */
function s3Target(uri: string, proxied: string | undefined, dest: string): string | undefined {
  const destS3 = /^s3:\/\//i.test(dest);
  if (proxied !== undefined) {
    return destS3 ? `${dest.replace(/\/+$/, "")}/${checkArtifactPath(proxied)}` : undefined;
  }
  if (!/^s3:\/\//i.test(uri)) return undefined;
  if (!destS3) return "";
  return s3Within(parseS3Uri(dest), parseS3Uri(uri)) ? s3UriOf(parseS3Uri(uri)) : "";
}

// Removes an owner's artifact folder, and the owner's own folder around it once empty.
async function removeArtifacts(
  dir: string | undefined,
  owner: string,
  env: (name: string) => string | undefined,
): Promise<void> {
  if (!dir) return;
  if (/^s3:\/\//i.test(dir)) {
    const { openArtifactRepo } = await import("../store/artifacts.ts");
    await openArtifactRepo(dir, { env }).delete("");
    return;
  }
  await Deno.remove(dir, { recursive: true }).catch(notFoundOk);
  const parent = dirname(dir);
  if (basename(parent) === owner) await Deno.remove(parent).catch(() => {});
}

function notFoundOk(e: unknown): void {
  if (!(e instanceof Deno.errors.NotFound)) throw e;
}
