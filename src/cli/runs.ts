/**
 * `mlt runs list | describe | delete | restore` — MLflow's `mlflow runs` over any store; `list`
 * takes MLflow's search filter and order and flags stale RUNNING runs (stale.ts).
 */
import type { Command } from "commander";
import { MltError } from "../errors.ts";
import type { Run, ViewType } from "../model.ts";
import { allPages, type TrackingStore } from "../store/store.ts";
import type { CliContext } from "./context.ts";
import {
  colorOn,
  commaList,
  durationArg,
  formatDuration,
  formatTime,
  parseView,
  positiveInt,
  printJson,
  storeOptions,
  styles,
  table,
  usage,
  withStore,
} from "./output.ts";

interface ListFlags {
  trackingUri?: string;
  json?: boolean;
  experimentId?: string[];
  experimentName?: string;
  view?: ViewType;
  filter?: string;
  orderBy?: string[];
  maxResults?: number;
  staleAfter?: number;
}

// The experiments a listing covers: flags, then MLFLOW_EXPERIMENT_ID, else every experiment.
async function experimentIds(
  store: TrackingStore,
  ctx: CliContext,
  o: ListFlags,
): Promise<string[]> {
  if (o.experimentId?.length) return o.experimentId;
  if (o.experimentName !== undefined) {
    const exp = await store.getExperimentByName(o.experimentName);
    if (!exp) {
      throw new MltError("RESOURCE_DOES_NOT_EXIST", `No experiment named "${o.experimentName}"`);
    }
    return [exp.experimentId];
  }
  const env = ctx.env("MLFLOW_EXPERIMENT_ID");
  if (env) return [env];
  const view = o.view === undefined || o.view === "ACTIVE_ONLY" ? "ACTIVE_ONLY" : "ALL";
  const { items } = await allPages((pageToken, maxResults) =>
    store.searchExperiments({ viewType: view, maxResults, pageToken })
  );
  return items.map((e) => e.experimentId);
}

function runDuration(r: Run, now: number): string {
  if (r.info.startTime === undefined) return "";
  return formatDuration((r.info.endTime ?? now) - r.info.startTime);
}

/** Registers `mlt runs`. */
export function registerRuns(program: Command, ctx: CliContext): void {
  const group = program.command("runs")
    .description("list, describe, delete and restore runs")
    .addHelpText(
      "after",
      "\nExit codes: 0 ok, 1 error (unknown id, store or server unreachable), 2 usage error.",
    );

  storeOptions(
    group.command("list").alias("search")
      .description("list runs, newest first; RUNNING runs whose runner is gone are flagged stale")
      .option(
        "-x, --experiment-id <id>",
        "experiments to list (repeatable or comma-separated; " +
          "default: MLFLOW_EXPERIMENT_ID, else all)",
        commaList,
      )
      .option("-n, --experiment-name <name>", "the experiment to list, by name")
      .option("--view <view>", "active_only (default), deleted_only or all", parseView)
      .option("--filter <expr>", "filter, e.g. \"metrics.acc > 0.9 and params.lr = '0.01'\"")
      .option("--order-by <clause>", "order, e.g. 'metrics.acc DESC' (repeatable)", commaList)
      .option("--max-results <n>", "most runs to list (default 100)", positiveInt)
      .option(
        "--stale-after <duration>",
        "RUNNING this long counts as stale (default 7d)",
        durationArg,
      ),
  ).action(async (o: ListFlags, cmd: Command) => {
    if (o.experimentId?.length && o.experimentName !== undefined) {
      usage(cmd, "give --experiment-id or --experiment-name, not both");
    }
    const { staleCheck, staleReason, DEFAULT_STALE_AFTER_MS } = await import("./stale.ts");
    const after = o.staleAfter ?? DEFAULT_STALE_AFTER_MS;
    await withStore(ctx, o.trackingUri, async (store) => {
      const ids = await experimentIds(store, ctx, o);
      const { items, more } = ids.length
        ? await allPages((pageToken, maxResults) =>
          store.searchRuns({
            experimentIds: ids,
            filter: o.filter,
            viewType: o.view,
            orderBy: o.orderBy,
            maxResults,
            pageToken,
          }), o.maxResults ?? 100)
        : { items: [] as Run[], more: false };
      const check = staleCheck(after);
      const stale = new Map(items.map((r) => [r.info.runId, staleReason(r, check)]));
      if (o.json) {
        return printJson(items.map((r) => ({ ...r, stale: stale.get(r.info.runId) ?? null })));
      }
      const s = styles(colorOn(ctx));
      const color = { FINISHED: s.green, FAILED: s.red, KILLED: s.red } as Record<
        string,
        typeof s.red
      >;
      console.log(table(
        ["RUN ID", "NAME", "EXPERIMENT", "STATUS", "STARTED", "DURATION"].map(s.bold),
        items.map((r) => [
          r.info.runId,
          r.info.runName ?? "",
          r.info.experimentId,
          stale.get(r.info.runId)
            ? s.yellow("RUNNING (stale)")
            : (color[r.info.status] ?? ((x: string) => x))(
              r.info.lifecycleStage === "deleted" ? `${r.info.status} (deleted)` : r.info.status,
            ),
          formatTime(r.info.startTime),
          runDuration(r, check.now),
        ]),
      ));
      if (more) console.error("(more runs: raise --max-results)");
      const flagged = items.filter((r) => stale.get(r.info.runId));
      for (const r of flagged) {
        console.error(`stale: run ${r.info.runId} is RUNNING but ${stale.get(r.info.runId)}`);
      }
      if (flagged.length) console.error("(`mlt doctor --fix` marks stale runs FAILED)");
    });
  });

  storeOptions(
    group.command("describe")
      .description("show a run: info, params, latest metrics and tags")
      .argument("[id]", "run id (or --run-id)")
      .option("-r, --run-id <id>", "run id"),
  ).action(async (id: string | undefined, o: ListFlags & { runId?: string }, cmd: Command) => {
    const runId = id ?? o.runId;
    if (runId === undefined || (id !== undefined && o.runId !== undefined)) {
      usage(cmd, "name the run once: as an argument or with --run-id");
    }
    const { staleCheck, staleReason } = await import("./stale.ts");
    await withStore(ctx, o.trackingUri, async (store) => {
      const run = await store.getRun(runId);
      const stale = staleReason(run, staleCheck());
      if (o.json) return printJson({ ...run, stale: stale ?? null });
      describeRun(run, stale, styles(colorOn(ctx)));
    });
  });

  for (const verb of ["delete", "restore"] as const) {
    storeOptions(
      group.command(verb)
        .description(
          verb === "delete"
            ? "mark runs deleted (`mlt gc` removes them for good)"
            : "restore deleted runs",
        )
        .argument("[ids...]", "run ids (or --run-id)")
        .option("-r, --run-id <id>", "a run id (repeatable or comma-separated)", commaList),
      false,
    ).action(async (ids: string[], o: ListFlags & { runId?: string[] }, cmd: Command) => {
      const all = [...ids, ...(o.runId ?? [])];
      if (!all.length) usage(cmd, "name at least one run id");
      await withStore(ctx, o.trackingUri, async (store) => {
        // Check every id first, so one bad id leaves the others untouched.
        const want = verb === "delete" ? "active" : "deleted";
        for (const id of all) {
          const run = await store.getRun(id);
          if (run.info.lifecycleStage !== want) {
            throw new MltError(
              "INVALID_STATE",
              `Cannot ${verb} run ${id}: it is ${run.info.lifecycleStage}`,
            );
          }
        }
        for (const id of all) {
          await (verb === "delete" ? store.deleteRun(id) : store.restoreRun(id));
          console.log(`Run with ID ${id} has been ${verb}d.`);
        }
      });
    });
  }
}

function describeRun(run: Run, stale: string | undefined, s: ReturnType<typeof styles>): void {
  const i = run.info;
  const status = stale ? `${i.status} ${s.yellow(`(stale: ${stale})`)}` : i.status;
  const lines: [string, string][] = [
    ["run id", i.runId],
    ["name", i.runName ?? ""],
    ["experiment", i.experimentId],
    ["status", status],
    ["stage", i.lifecycleStage],
    ["user", i.userId],
    ["started", formatTime(i.startTime)],
    ["ended", formatTime(i.endTime)],
    ["duration", runDuration(run, Date.now())],
    ["artifact uri", i.artifactUri],
  ];
  for (const [k, v] of lines) console.log(`${s.bold(k.padEnd(14))}${v}`);
  const section = (title: string, rows: string[][], header: string[]) => {
    if (!rows.length) return;
    console.log(`\n${s.bold(title)}`);
    console.log(table(header.map(s.dim), rows).split("\n").map((l) => `  ${l}`).join("\n"));
  };
  const byKey = <T extends { key: string }>(xs: T[]) =>
    [...xs].sort((a, b) => a.key < b.key ? -1 : 1);
  section("params", byKey(run.data.params).map((p) => [p.key, p.value]), ["KEY", "VALUE"]);
  section(
    "metrics (latest)",
    byKey(run.data.metrics).map((
      m,
    ) => [m.key, String(m.value), String(m.step), formatTime(m.timestamp)]),
    ["KEY", "VALUE", "STEP", "TIME"],
  );
  const tags = byKey(run.data.tags);
  section(
    "tags",
    [
      ...tags.filter((t) => !t.key.startsWith("mlflow.")),
      ...tags.filter((t) => t.key.startsWith("mlflow.")),
    ]
      .map((t) => [t.key, t.value.length > 100 ? `${t.value.slice(0, 100)}…` : t.value]),
    ["KEY", "VALUE"],
  );
  const inputs = run.inputs.datasetInputs;
  section("datasets", inputs.map((d) => [d.dataset.name, d.dataset.digest]), ["NAME", "DIGEST"]);
}
