/**
 * `mlt doctor`'s checks of an mlruns tree: malformed or mismatched meta.yaml files, folders that
 * are no experiment or run, and leftover `.mlt-tmp-*` files. Read-only; `fixLayoutProblem` only
 * removes temp files and folders that hold nothing but temp files.
 */
import { join } from "node:path";
import { notFound } from "../../errors.ts";
import { holdsOnlyArtifacts } from "./artifact_tree.ts";
import { experimentFromMeta, parseYamlMapping, runFromMeta } from "./format.ts";
import {
  isExperimentDirName,
  isRunDirName,
  META_FILE,
  RESERVED_EXPERIMENT_DIRS,
  TEMP_PREFIX,
  TRASH_DIR,
} from "./layout.ts";

/** One finding; `fixable` problems are removed by `fixLayoutProblem`, others need a person. */
export interface LayoutProblem {
  kind: "malformed" | "orphan" | "temp-file";
  /** Absolute path of the file or folder. */
  path: string;
  detail: string;
  fixable: boolean;
}

/** How old a temp file must be before it counts as left over (a writer may be mid-write). */
export const TEMP_MIN_AGE_MS = 10 * 60_000;

type Entry = { name: string; path: string; isFile: boolean; isDirectory: boolean };

function entries(dir: string): Entry[] {
  const out: Entry[] = [];
  for (const e of Deno.readDirSync(dir)) {
    out.push({
      name: e.name,
      path: join(dir, e.name),
      isFile: e.isFile,
      isDirectory: e.isDirectory,
    });
  }
  return out.sort((a, b) => a.name < b.name ? -1 : 1);
}

// True when `dir` holds nothing but temp files and empty folders: safe to remove.
function disposable(dir: string): boolean {
  return entries(dir).every((e) =>
    e.isDirectory ? disposable(e.path) : e.isFile && e.name.startsWith(TEMP_PREFIX)
  );
}

/**
 * Checks the mlruns tree at `root`; `now` dates temp files. Experiment folders that hold only run
 * artifacts (MLflow 3's SQLite layout) are no problem: their paths go to `artifactFolders`.
 */
export function checkFileLayout(
  root: string,
  now = Date.now(),
  artifactFolders: string[] = [],
): LayoutProblem[] {
  try {
    if (!Deno.statSync(root).isDirectory) throw new Error();
  } catch {
    throw notFound(`No file store at "${root}": it is not a folder`);
  }
  const out: LayoutProblem[] = [];
  const temp = (e: Entry) => {
    if (!e.isFile || !e.name.startsWith(TEMP_PREFIX)) return false;
    const mtime = Deno.statSync(e.path).mtime?.getTime() ?? 0;
    if (now - mtime >= TEMP_MIN_AGE_MS) {
      out.push({ kind: "temp-file", path: e.path, detail: "leftover temp file", fixable: true });
    }
    return true;
  };
  const tempsUnder = (dir: string) => {
    for (const e of entries(dir)) if (!temp(e) && e.isDirectory) tempsUnder(e.path);
  };
  const orphan = (e: Entry, what: string) =>
    out.push({ kind: "orphan", path: e.path, detail: what, fixable: disposable(e.path) });

  const experiment = (e: Entry, deleted: boolean) => {
    if (!deleted && holdsOnlyArtifacts(e.path)) return void artifactFolders.push(e.path);
    const meta = readMeta(e.path);
    if (meta.error) {
      out.push({
        kind: meta.missing ? "orphan" : "malformed",
        path: meta.missing ? e.path : join(e.path, META_FILE),
        detail: `experiment folder: ${meta.error}`,
        fixable: meta.missing ? disposable(e.path) : false,
      });
      if (meta.missing) return;
    } else {
      try {
        const exp = experimentFromMeta(meta.mapping!);
        const problem = exp.experimentId !== e.name
          ? `names experiment "${exp.experimentId}", not "${e.name}"`
          : deleted !== (exp.lifecycleStage === "deleted")
          ? `says lifecycle_stage "${exp.lifecycleStage}" in ${deleted ? ".trash" : "the root"}`
          : undefined;
        if (problem) malformed(out, join(e.path, META_FILE), problem);
      } catch (err) {
        malformed(out, join(e.path, META_FILE), (err as Error).message);
      }
    }
    for (const c of entries(e.path)) {
      if (temp(c) || c.isFile || c.name.startsWith(".")) continue;
      if (RESERVED_EXPERIMENT_DIRS.has(c.name)) tempsUnder(c.path);
      else if (!isRunDirName(c.name)) orphan(c, "not a run folder name");
      else run(c, e.name);
    }
  };

  const run = (e: Entry, expId: string) => {
    const meta = readMeta(e.path);
    if (meta.error) {
      if (meta.missing) return orphan(e, `run folder: ${meta.error}`);
      malformed(out, join(e.path, META_FILE), meta.error);
    } else {
      try {
        const info = runFromMeta(meta.mapping!);
        if (info.runId !== e.name) {
          malformed(out, join(e.path, META_FILE), `names run "${info.runId}", not "${e.name}"`);
        } else if (info.experimentId !== expId) {
          malformed(
            out,
            join(e.path, META_FILE),
            `says experiment "${info.experimentId}" inside experiment "${expId}"`,
          );
        }
      } catch (err) {
        malformed(out, join(e.path, META_FILE), (err as Error).message);
      }
    }
    // Artifacts are the user's files: never searched for temp files.
    for (const c of entries(e.path)) {
      if (!temp(c) && c.isDirectory && c.name !== "artifacts") tempsUnder(c.path);
    }
  };

  for (const e of entries(root)) {
    if (temp(e) || e.isFile) continue;
    if (e.name === TRASH_DIR) {
      for (const t of entries(e.path)) {
        if (temp(t) || t.isFile) continue;
        if (isExperimentDirName(t.name)) experiment(t, true);
        else orphan(t, "not an experiment folder name (in .trash)");
      }
    } else if (e.name === "models" || e.name.startsWith(".")) continue;
    else if (isExperimentDirName(e.name)) experiment(e, false);
    else orphan(e, "not an experiment folder name");
  }
  return out;
}

function malformed(out: LayoutProblem[], path: string, detail: string): void {
  out.push({ kind: "malformed", path, detail: `meta.yaml ${detail}`, fixable: false });
}

function readMeta(
  dir: string,
): { mapping?: Record<string, unknown>; error?: string; missing?: boolean } {
  let text: string;
  try {
    text = Deno.readTextFileSync(join(dir, META_FILE));
  } catch {
    return { error: "no meta.yaml", missing: true };
  }
  const mapping = parseYamlMapping(text);
  return mapping ? { mapping } : { error: "is empty or not a YAML mapping" };
}

/** Fixes one fixable problem: removes the temp file or the folder of temp files. */
export async function fixLayoutProblem(p: LayoutProblem): Promise<void> {
  if (!p.fixable) return;
  await Deno.remove(p.path, { recursive: p.kind === "orphan" }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
}
