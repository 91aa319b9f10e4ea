/**
 * `mlt doctor [--fix]`: checks a store — a file store's tree for malformed meta.yaml files,
 * orphan folders and leftover temp files (store/doctor.ts), and any store for stale RUNNING
 * runs — and with `--fix`, after a confirmation, removes temp files and empty orphan folders and
 * marks stale runs FAILED. Data it cannot understand is reported, never touched.
 */
import type { Command } from "commander";
import { relative } from "node:path";
import type { Run } from "../model.ts";
import type { LayoutReport } from "../store/doctor.ts";
import { allPages, type TrackingStore } from "../store/store.ts";
import { storeBefore } from "./server_banner.ts";
import type { CliContext } from "./context.ts";
import {
  colorOn,
  confirm,
  durationArg,
  EXIT_PROBLEMS,
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
  fix?: boolean;
  yes?: boolean;
  staleAfter?: number;
}

/** One finding, in the shape `--json` prints. */
interface Finding {
  kind: "malformed" | "orphan" | "temp-file" | "stale-run";
  where: string;
  detail: string;
  /** What `--fix` does about it; undefined when it needs a person. */
  fix?: "remove" | "mark FAILED";
  fixed?: boolean;
}

/** Registers `mlt doctor`. */
export function registerDoctor(program: Command, ctx: CliContext): void {
  storeOptions(
    program.command("doctor")
      .description("check a store for malformed files, orphan folders, temp files and stale runs")
      .option("--fix", "fix what can be fixed safely (asks first unless --yes)")
      .option("-y, --yes", "do not ask before fixing")
      .option(
        "--stale-after <duration>",
        "RUNNING this long counts as stale (default 7d)",
        durationArg,
      ),
  ).addHelpText(
    "after",
    "\n--fix removes leftover .mlt-tmp-* files (older than 10 minutes) and orphan folders that" +
      "\nhold nothing but temp files, and marks stale RUNNING runs FAILED. Malformed meta.yaml" +
      "\nfiles and orphan folders with data are reported for a person to look at." +
      "\nExit codes: 0 healthy (or everything fixed), 1 error, 2 usage error or no confirmation," +
      `\n${EXIT_PROBLEMS} problems remain.`,
  ).action(async (o: Flags, cmd: Command) => {
    const { checkStoreLayout } = await import("../store/doctor.ts");
    const { staleCheck, staleReason, DEFAULT_STALE_AFTER_MS } = await import("./stale.ts");
    await withStore(ctx, o.trackingUri, async (store) => {
      const layout = await checkStoreLayout(store.uri);
      const findings: Finding[] = (layout?.problems ?? []).map((p) => ({
        kind: p.kind,
        where: relative(layout!.root, p.path) || ".",
        detail: p.detail,
        fix: p.fixable ? "remove" : undefined,
      }));
      const check = staleCheck(o.staleAfter ?? DEFAULT_STALE_AFTER_MS);
      const stale: [Run, string][] = [];
      for (const run of await runningRuns(store)) {
        const why = staleReason(run, check);
        if (why) stale.push([run, why]);
      }
      for (const [run, why] of stale) {
        findings.push({
          kind: "stale-run",
          where: `run ${run.info.runId}`,
          detail: `RUNNING, but ${why}`,
          fix: "mark FAILED",
        });
      }
      if (!o.json) {
        for (const n of layoutNotes(layout, store.uri, ctx)) console.error(`note: ${n}`);
      }
      const fixable = findings.filter((f) => f.fix);
      if (o.fix && fixable.length) {
        if (!o.yes) {
          print(findings, o, ctx);
          if (!(await confirm(`Fix ${fixable.length} problem(s) as shown?`))) {
            usage(cmd, "nothing fixed: confirm on a terminal or pass --yes");
          }
        }
        const bar = progress("doctor --fix");
        let i = 0;
        for (const p of layout?.problems ?? []) {
          if (p.fixable) await layout!.fix(p);
        }
        for (const [run] of stale) {
          await store.updateRun({ runId: run.info.runId, status: "FAILED", endTime: Date.now() });
          bar.tick(++i, stale.length, "stale runs");
        }
        bar.done();
        for (const f of fixable) f.fixed = true;
      }
      const left = findings.filter((f) => !f.fixed);
      if (o.json) {
        printJson({
          store: store.uri,
          problems: findings,
          notes: layoutNotes(layout, store.uri, ctx),
        });
      } else print(findings, o, ctx);
      if (!o.json) {
        const fixedN = findings.length - left.length;
        console.log(
          findings.length === 0
            ? `${store.uri}: no problems found`
            : `${findings.length} problem(s)${fixedN ? `, ${fixedN} fixed` : ""}${
              left.length && !o.fix && left.some((f) => f.fix) ? " (run with --fix to fix)" : ""
            }`,
        );
      }
      if (left.length) Deno.exitCode = EXIT_PROBLEMS;
    }, () => {}); // the store's own warnings about skipped entries repeat the findings
  });
}

// What the store is, when that explains a finding's absence: a database (with the artifacts folder
// MLflow 3 keeps beside it), or a file store whose folders hold only such artifacts.
function layoutNotes(layout: LayoutReport | undefined, uri: string, ctx: CliContext): string[] {
  if (!layout) {
    const beside = storeBefore(uri, ctx.cwd).artifactsBeside;
    return [
      `${uri} is not a file store; only its runs were checked` +
      (beside ? ` (its runs' artifacts are in ${beside}, MLflow 3's default layout)` : ""),
    ];
  }
  const folders = layout.artifactFolders.map((p) => relative(layout.root, p));
  if (!folders.length) return [];
  return [
    `${folders.length} folder(s) hold only run artifacts, not experiments: ${folders.join(", ")}` +
    " (MLflow 3 keeps these runs in a SQLite database such as ./mlflow.db; open it with" +
    " --tracking-uri sqlite:///mlflow.db)",
  ];
}

async function runningRuns(store: TrackingStore): Promise<Run[]> {
  const exps = await allPages((pageToken, maxResults) =>
    store.searchExperiments({ viewType: "ACTIVE_ONLY", maxResults, pageToken })
  );
  if (!exps.items.length) return [];
  return (await allPages((pageToken, maxResults) =>
    store.searchRuns({
      experimentIds: exps.items.map((e) => e.experimentId),
      filter: "attributes.status = 'RUNNING'",
      maxResults,
      pageToken,
    })
  )).items;
}

function print(findings: Finding[], o: Flags, ctx: CliContext): void {
  if (!findings.length || o.json) return;
  const s = styles(colorOn(ctx));
  console.log(table(
    ["PROBLEM", "WHERE", "DETAIL", "FIX"].map(s.bold),
    findings.map((f) => [
      s.yellow(f.kind),
      f.where,
      f.detail,
      f.fixed ? s.green(`fixed (${f.fix})`) : f.fix ?? s.red("manual"),
    ]),
  ));
}
