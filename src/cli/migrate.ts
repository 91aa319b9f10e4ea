/** `mlt migrate --from <uri> --to <uri>`: lossless copy between tracking stores (store/migrate.ts). */
import type { Command } from "commander";
import type { CliContext } from "./context.ts";
import type { ImportTarget } from "../store/migrate.ts";
import type { ArtifactStats } from "../store/migrate_artifacts.ts";

/** Registers `mlt migrate`. */
export function registerMigrate(program: Command, ctx: CliContext): void {
  program
    .command("migrate")
    .description(
      "copy every experiment, run, logged model and registered model from one store into another",
    )
    .requiredOption(
      "--from <uri>",
      "source store: a directory (./mlruns), file://…, sqlite:///x.db or postgresql://…",
    )
    .requiredOption("--to <uri>", "target store (created when absent)")
    .option(
      "--artifacts-to <root>",
      "also copy artifacts, to a folder or s3://bucket/prefix (MLflow's layout), and write " +
        "their new URIs into the target",
    )
    .option(
      "--from-artifacts-destination <root>",
      "with --artifacts-to: where the source server keeps mlflow-artifacts: URIs (its " +
        "--artifacts-destination)",
    )
    .option("--quiet", "no progress line on stderr")
    .addHelpText(
      "after",
      "\nKeeps experiment ids, run ids, names, times, lifecycle states, params, tags, every" +
        "\nmetric point, dataset inputs, logged models (ids, params, tags, metrics, run links)" +
        "\nand the model registry (models, version numbers, stages, times, tags, aliases)." +
        "\nArtifacts stay where their URIs point, unless --artifacts-to names a root: then" +
        "\neach run's and logged model's files are copied to <root>/<experiment>/<run>/artifacts" +
        "\nand <root>/<experiment>/models/<model>/artifacts (S3 settings from MLflow's variables)." +
        "\nEntities and files already copied are skipped, so an interrupted migration can be" +
        "\nrun again. Ends with entity counts of both stores; exits 1 when they differ or a" +
        "\nfile could not be copied." +
        "\n\nExamples:\n  mlt migrate --from ./mlruns --to sqlite:///mlflow.db" +
        "\n  mlt migrate --from sqlite:///mlflow.db --to postgresql://user:pw@host/mlflow" +
        "\n  mlt migrate --from postgresql://user:pw@host/mlflow --to ./mlruns-copy" +
        "\n  mlt migrate --from ./mlruns --to postgresql://user:pw@host/mlflow \\" +
        "\n    --artifacts-to s3://bucket/mlflow",
    )
    .action(async (opts: Flags, cmd: Command) => {
      const { loadStore } = await import("../store/load.ts");
      const { loadRegistryStore } = await import("../store/open_registry.ts");
      const { displayUri } = await import("../store/open_uri.ts");
      const { migrate, COUNT_LABELS } = await import("../store/migrate.ts");
      const { FileImport } = await import("../store/migrate_file.ts");
      if (opts.from === opts.to) {
        cmd.error("error: --from and --to name the same store", { exitCode: 2 });
      }
      if (opts.fromArtifactsDestination !== undefined && opts.artifactsTo === undefined) {
        cmd.error("error: --from-artifacts-destination needs --artifacts-to", { exitCode: 2 });
      }
      const { ArtifactMover } = await import("../store/migrate_artifacts.ts");
      const bar = opts.quiet ? undefined : progressLine();
      // Settings are checked before any store is opened.
      const mover = opts.artifactsTo === undefined ? undefined : new ArtifactMover({
        to: opts.artifactsTo,
        fromDestination: opts.fromArtifactsDestination,
        env: ctx.env,
        onFile: bar && ((s) => bar.files(s.files + s.skippedFiles, s.bytes + s.skippedBytes)),
      });
      const source = await loadStore(opts.from);
      const target = await loadStore(opts.to);
      // The target registry runs on a clock migrate sets to each source time it writes.
      let now: number | undefined;
      const fromRegistry = await loadRegistryStore(opts.from, {}, source);
      const toRegistry = await loadRegistryStore(
        opts.to,
        { clock: () => now ?? Date.now() },
        target,
      );
      try {
        const where = (st: unknown) => {
          const x = st as { root?: string; path?: string };
          return x.root ?? x.path;
        };
        if (where(source) !== undefined && where(source) === where(target)) {
          cmd.error("error: --from and --to name the same store", { exitCode: 2 });
        }
        // The SQLite store brings its importer; a file store is written through its root.
        const t = target as { import?: ImportTarget; root?: string };
        const importer = t.import
          ? t.import
          : typeof t.root === "string"
          ? new FileImport(t.root)
          : undefined;
        if (!importer) {
          cmd.error(`error: cannot migrate into "${displayUri(opts.to)}"`, { exitCode: 2 });
        }
        const report = await migrate({
          source,
          target,
          importer: importer!,
          progress: bar?.runs,
          artifacts: mover,
          registries: { source: fromRegistry, target: toRegistry, at: (ms) => now = ms },
        });
        const out = [
          `Migrated ${displayUri(opts.from)} → ${displayUri(opts.to)}: ${report.copiedRuns} ` +
          `run(s) copied, ${report.skippedRuns} already there; ${report.copiedModels} logged ` +
          `model(s) and ${report.copiedRegisteredModels} registered model(s) written. ` +
          artifactSummary(report.artifacts, mover?.root),
          "",
          `${"".padEnd(18)}${"source".padStart(10)}${"target".padStart(10)}`,
        ];
        for (const [k, label] of Object.entries(COUNT_LABELS)) {
          const key = k as keyof typeof COUNT_LABELS;
          out.push(
            `${label.padEnd(18)}${String(report.source[key]).padStart(10)}` +
              `${String(report.target[key]).padStart(10)}`,
          );
        }
        for (const note of report.notes) out.push(`note: ${note}`);
        console.log(out.join("\n"));
        const failures = report.artifacts?.failures ?? [];
        for (const f of failures) console.error(`error: could not copy ${f}`);
        if (failures.length > 0) {
          console.error(
            `error: ${failures.length} artifact file(s) or folder(s) could not be copied; ` +
              "their runs and models keep their source URIs (run the migration again to retry)",
          );
          Deno.exitCode = 1;
        }
        if (report.mismatches.length > 0) {
          console.error(
            `error: the target differs from the source: ${report.mismatches.join("; ")}`,
          );
          Deno.exitCode = 1;
        } else {
          console.log("Verified: the target holds every entity of the source.");
        }
      } finally {
        await fromRegistry.close();
        await toRegistry.close();
        await source.close();
        await target.close();
      }
    });
}

interface Flags {
  from: string;
  to: string;
  quiet?: boolean;
  artifactsTo?: string;
  fromArtifactsDestination?: string;
}

function artifactSummary(a: ArtifactStats | undefined, root: string | undefined): string {
  if (!a) return "Artifacts were not moved (their URIs are kept).";
  return `Artifacts to ${root}: ${a.files} file(s) (${a.bytes} bytes) copied, ` +
    `${a.skippedFiles} (${a.skippedBytes} bytes) already there.`;
}

// "migrate: [###   ] 120/5000 runs, 31 files (2.1 MB)" on stderr: redrawn in place on a
// terminal, else about once a second.
function progressLine() {
  const tty = Deno.stderr.isTerminal();
  const enc = new TextEncoder();
  let last = 0, done = 0, total = 0, files = -1, bytes = 0;
  const draw = (final: boolean) => {
    const now = Date.now();
    if (!final && now - last < (tty ? 100 : 1000)) return;
    last = now;
    const width = 30;
    const filled = total ? Math.round((done / total) * width) : width;
    const bar = `[${"#".repeat(filled)}${" ".repeat(width - filled)}]`;
    const more = files < 0 ? "" : `, ${files} file(s) (${bytes} bytes)`;
    const text = `migrate: ${bar} ${done}/${total} runs${more}`;
    Deno.stderr.writeSync(enc.encode(tty ? `\r${text}${final ? "\n" : ""}` : `${text}\n`));
  };
  return {
    runs: (d: number, t: number) => {
      done = d;
      total = t;
      draw(d === t);
    },
    files: (n: number, b: number) => {
      files = n;
      bytes = b;
      draw(false);
    },
  };
}
