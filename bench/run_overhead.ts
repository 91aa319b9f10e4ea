/**
 * Runner overhead of `mlt run` vs `mlflow run --env-manager local` on the same project, in the
 * same session: time from starting the runner to the entry point's first line, and from the entry
 * point's last line to the runner's exit, for the installed `mlt` (deno.json's install task) and
 * for `deno run main.ts`. Prints medians and ratios. Not a test.
 *
 *   deno run -A bench/run_overhead.ts [--runs 5] [--mlflow .venv/bin/mlflow]
 */
import { join } from "node:path";
import { installedMlt, mltV8Flags } from "./bench_context.ts";

const REPO = new URL("..", import.meta.url).pathname;
const args = Deno.args;
const flag = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const RUNS = Number(flag("--runs", "5"));
const MLFLOW = flag("--mlflow", join(REPO, ".venv", "bin", "mlflow"));

const dir = await Deno.makeTempDir({ prefix: "mlt-bench-run-" });
const proj = join(dir, "proj");
await Deno.mkdir(proj);
// The entry point prints wall-clock nanoseconds first and last.
await Deno.writeTextFile(
  join(proj, "MLproject"),
  "name: bench\nentry_points:\n  main:\n    parameters: {x: {type: int, default: 1}}\n" +
    "    command: 'echo START $(date +%s%N); echo work {x}; echo END $(date +%s%N)'\n",
);

interface Sample {
  start: number;
  stop: number;
}

/** Runs `cmd` once; returns [start overhead, stop overhead] in milliseconds. */
async function once(cmd: string[], store: string): Promise<Sample> {
  const t0 = (performance.timeOrigin + performance.now()) * 1e6;
  const out = await new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
    env: {
      MLFLOW_TRACKING_URI: `file://${store}`,
      MLFLOW_ALLOW_FILE_STORE: "true",
      MLFLOW_DISABLE_TELEMETRY: "true",
      DO_NOT_TRACK: "true",
    },
  }).output();
  const t3 = (performance.timeOrigin + performance.now()) * 1e6;
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`${cmd.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  const t1 = Number(/START (\d+)/.exec(text)![1]);
  const t2 = Number(/END (\d+)/.exec(text)![1]);
  return { start: (t1 - t0) / 1e6, stop: (t3 - t2) / 1e6 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function measure(name: string, cmd: string[]): Promise<Sample> {
  const samples: Sample[] = [];
  await once(cmd, join(dir, `${name}-warmup`)); // caches (deno's module cache, Python's .pyc)
  for (let i = 0; i < RUNS; i++) samples.push(await once(cmd, join(dir, `${name}-mlruns`)));
  const m = {
    start: median(samples.map((s) => s.start)),
    stop: median(samples.map((s) => s.stop)),
  };
  console.log(
    `${name.padEnd(7)} start→first line ${m.start.toFixed(1).padStart(8)} ms   ` +
      `last line→exit ${m.stop.toFixed(1).padStart(8)} ms   (median of ${RUNS})`,
  );
  return m;
}

// As the installed `mlt` runs (deno.json's install task: its bundle and flags), then the sources.
const installed = await installedMlt(REPO);
const project = ["run", proj, "-P", "x=2"];
const mlt = await measure("mlt", [
  Deno.execPath(),
  "run",
  "-A",
  ...mltV8Flags(REPO),
  ...installed.deno,
  installed.main,
  ...project,
]);
await measure("main.ts", [Deno.execPath(), "run", "-A", join(REPO, "main.ts"), ...project]);
let mlflow: Sample | undefined;
try {
  await Deno.stat(MLFLOW);
  mlflow = await measure("mlflow", [MLFLOW, "run", "--env-manager", "local", proj, "-P", "x=2"]);
} catch (e) {
  console.log(`mlflow: not measured (${(e as Error).message.split("\n")[0]})`);
}
if (mlflow) {
  console.log(
    `ratio   start ${(mlflow.start / mlt.start).toFixed(1)}×   stop ${
      (mlflow.stop / mlt.stop).toFixed(1)
    }×   total ${
      ((mlflow.start + mlflow.stop) / (mlt.start + mlt.stop)).toFixed(1)
    }× less overhead`,
  );
}
await Deno.remove(dir, { recursive: true });
