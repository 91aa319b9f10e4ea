/** `mlt migrate --from <uri> --to <uri>`: lossless copy between tracking stores (store/migrate.ts). */
import type { Command } from "commander";
import type { CliContext } from "./context.ts";
import type { ImportTarget } from "../store/migrate.ts";

/** Registers `mlt migrate`. */
export function registerMigrate(program: Command, _ctx: CliContext): void {
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
    .option("--quiet", "no progress line on stderr")
    .addHelpText(
      "after",
      "\nKeeps experiment ids, run ids, names, times, lifecycle states, params, tags, every" +
        "\nmetric point, dataset inputs, logged models (ids, params, tags, metrics, run links)" +
        "\nand the model registry (models, version numbers, stages, times, tags, aliases)." +
        "\nArtifacts stay where their URIs point. Entities already copied are skipped, so an" +
        "\ninterrupted migration can be run again. Ends with entity counts of both stores;" +
        "\nexits 1 when they differ." +
        "\n\nExamples:\n  mlt migrate --from ./mlruns --to sqlite:///mlflow.db" +
        "\n  mlt migrate --from sqlite:///mlflow.db --to postgresql://user:pw@host/mlflow" +
        "\n  mlt migrate --from postgresql://user:pw@host/mlflow --to ./mlruns-copy",
    )
    .action(async (opts: { from: string; to: string; quiet?: boolean }, cmd: Command) => {
      const { loadStore } = await import("../store/load.ts");
      const { loadRegistryStore } = await import("../store/open_registry.ts");
      const { displayUri } = await import("../store/open_uri.ts");
      const { migrate, COUNT_LABELS } = await import("../store/migrate.ts");
      const { FileImport } = await import("../store/migrate_file.ts");
      if (opts.from === opts.to) {
        cmd.error("error: --from and --to name the same store", { exitCode: 2 });
      }
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
        const progress = opts.quiet ? undefined : progressLine();
        const report = await migrate({
          source,
          target,
          importer: importer!,
          progress,
          registries: { source: fromRegistry, target: toRegistry, at: (ms) => now = ms },
        });
        const out = [
          `Migrated ${displayUri(opts.from)} → ${displayUri(opts.to)}: ${report.copiedRuns} ` +
          `run(s) copied, ${report.skippedRuns} already there; ${report.copiedModels} logged ` +
          `model(s) and ${report.copiedRegisteredModels} registered model(s) written. ` +
          "Artifacts were not moved (their URIs are kept).",
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

// "migrate: 120/5000 runs" on stderr: redrawn in place on a terminal, else about once a second.
function progressLine(): (done: number, total: number) => void {
  const tty = Deno.stderr.isTerminal();
  const enc = new TextEncoder();
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (done < total && now - last < (tty ? 100 : 1000)) return;
    last = now;
    const width = 30;
    const filled = total ? Math.round((done / total) * width) : width;
    const bar = `[${"#".repeat(filled)}${" ".repeat(width - filled)}]`;
    const text = `migrate: ${bar} ${done}/${total} runs`;
    Deno.stderr.writeSync(enc.encode(tty ? `\r${text}${done === total ? "\n" : ""}` : `${text}\n`));
  };
}
