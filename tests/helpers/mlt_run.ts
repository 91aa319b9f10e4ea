/** Shared pieces of the `mlt run` end-to-end tests: temp projects, spawning mlt, reading runs. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openStore } from "../../src/store/open.ts";
import type { Run } from "../../src/model.ts";

const tempDirs: string[] = [];
/** A temp dir (symlinks resolved) removed when the test file ends. */
export async function tempDir(prefix = "mlt-run-test-"): Promise<string> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix }));
  tempDirs.push(dir);
  return dir;
}
globalThis.addEventListener("unload", () => {
  for (const dir of tempDirs) Deno.removeSync(dir, { recursive: true });
});

/** The CLI entry point. */
export const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** What a finished `mlt run` printed and returned. */
export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Spawns `mlt run …` in `cwd` with its own ./mlruns; returns the process. */
export function spawnMlt(cwd: string, args: string[], env: Record<string, string> = {}) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "run", ...args],
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", MLFLOW_TRACKING_URI: "", ...env },
  }).spawn();
}

/** Waits for a spawned mlt and decodes its output. */
export async function output(child: Deno.ChildProcess): Promise<Result> {
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Runs `mlt run …` in `cwd` to the end. */
export function mltRun(cwd: string, args: string[], env: Record<string, string> = {}) {
  return output(spawnMlt(cwd, args, env));
}

/** Every run in every experiment of `<dir>/mlruns`. */
export async function runsIn(dir: string): Promise<Run[]> {
  const store = openStore(join(dir, "mlruns"));
  try {
    const exps = await store.searchExperiments({ viewType: "ALL", maxResults: 1000 });
    if (!exps.items.length) return [];
    const page = await store.searchRuns({
      experimentIds: exps.items.map((e) => e.experimentId),
      viewType: "ALL",
      maxResults: 1000,
    });
    return page.items;
  } catch {
    return [];
  } finally {
    await store.close();
  }
}

/** The one run of `<dir>/mlruns`. */
export async function onlyRun(dir: string): Promise<Run> {
  const runs = await runsIn(dir);
  assert.equal(runs.length, 1, `expected one run, found ${runs.length}`);
  return runs[0];
}

/** A run's tags as a record. */
export function tagsOf(run: Run): Record<string, string> {
  return Object.fromEntries(run.data.tags.map((t) => [t.key, t.value]));
}

/** A run's params as a record. */
export function paramsOf(run: Run): Record<string, string> {
  return Object.fromEntries(run.data.params.map((p) => [p.key, p.value]));
}

/** A temp dir with a project in `proj/` made of `files`. */
export async function project(
  files: Record<string, string>,
  prefix?: string,
): Promise<{ dir: string; proj: string }> {
  const dir = await tempDir(prefix);
  const proj = join(dir, "proj");
  await Deno.mkdir(proj);
  for (const [name, text] of Object.entries(files)) {
    await Deno.mkdir(join(proj, name, ".."), { recursive: true });
    await Deno.writeTextFile(join(proj, name), text);
  }
  return { dir, proj };
}

/** True when something exists at `path` (symlinks not followed). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Waits (bounded) for a file whose content ends with a newline; returns it trimmed. */
export async function waitFor(path: string): Promise<string> {
  for (let i = 0; i < 600; i++) {
    try {
      const text = await Deno.readTextFile(path);
      if (text.endsWith("\n")) return text.trim();
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${path} never appeared`);
}
