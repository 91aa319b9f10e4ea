/**
 * Reads a project directory: finds and reads the MLproject (size-capped, no symlinks out of the
 * project), resolves the environment file (declared, or python_env.yaml / conda.yaml) and checks
 * that every file the project names stays inside it.
 */
import { join, relative, resolve } from "node:path";
import { MltError } from "../errors.ts";
import {
  type DeclaredEnv,
  findMlprojectName,
  MAX_MLPROJECT_BYTES,
  parseMlproject,
  type ProjectFiles,
  type ProjectSpec,
} from "./spec.ts";

/** A project ready to run. */
export interface LoadedProject extends ProjectFiles {
  /** The project directory, symlinks resolved. */
  dir: string;
  spec: ProjectSpec;
  /** The environment, with the default env files found in the directory filled in. */
  env: DeclaredEnv;
  /** Absolute path of the environment file, if any. */
  envFile?: string;
}

function fail(message: string): MltError {
  return new MltError("INVALID_PARAMETER_VALUE", message);
}

/** Resolves `rel` inside `root` (both real paths); refuses escapes, symlinks included. */
export async function containedPath(root: string, rel: string, what: string): Promise<string> {
  let real: string;
  try {
    real = await Deno.realPath(join(root, rel));
  } catch {
    throw fail(`Project specified ${what} "${rel}", but no such file was found in "${root}"`);
  }
  const r = relative(root, real);
  if (r === ".." || r.startsWith("../") || resolve(root, r) !== real) {
    throw fail(`Project specified ${what} "${rel}", which points outside the project`);
  }
  return real;
}

/** Loads the project in `dir`. */
export async function loadProject(dir: string): Promise<LoadedProject> {
  let root: string;
  try {
    root = await Deno.realPath(dir);
    if (!(await Deno.stat(root)).isDirectory) throw new Error("not a directory");
  } catch {
    throw fail(`Cannot run project "${dir}": no such directory`);
  }
  const names: string[] = [];
  const scripts: string[] = [];
  for await (const e of Deno.readDir(root)) {
    names.push(e.name);
    if (e.isFile && /\.(py|sh)$/.test(e.name)) scripts.push(e.name);
  }
  const mlproject = findMlprojectName(names);
  let spec: ProjectSpec = { entryPoints: [], env: { kind: "none" } };
  if (mlproject) {
    const path = await containedPath(root, mlproject, "MLproject file");
    spec = parseMlproject(await readProjectFile(path, "MLproject", "parse"), path);
  }
  let env = spec.env;
  let envFile: string | undefined;
  if (env.kind === "python_env" || env.kind === "conda_env") {
    envFile = await containedPath(root, env.file, `${env.kind} file`);
  } else if (env.kind === "none") {
    for (
      const [file, kind] of [["python_env.yaml", "python_env"], [
        "conda.yaml",
        "conda_env",
      ]] as const
    ) {
      if (names.includes(file)) {
        envFile = await containedPath(root, file, `${kind} file`);
        env = { kind, file };
        break;
      }
    }
  }
  // Python scripts first: the usual thing to run in a folder without an MLproject.
  const py = (n: string) => n.endsWith(".py") ? 0 : 1;
  scripts.sort((a, b) => py(a) - py(b) || (a < b ? -1 : 1));
  // Checked now, before any run exists: a FIFO here would block `mlt run` forever.
  if (envFile) await regularFile(envFile, `${env.kind} file`, "read");
  return { dir: root, spec, env, envFile, mlproject, scripts };
}

async function regularFile(path: string, what: string, verb: string): Promise<void> {
  const info = await Deno.stat(path);
  if (!info.isFile) {
    throw fail(
      `Cannot ${verb} ${what} "${path}": it is not a regular file (a FIFO or a device would ` +
        "block mlt run)",
    );
  }
  if (info.size > MAX_MLPROJECT_BYTES) {
    throw fail(
      `Cannot ${verb} ${what} "${path}": the file is larger than ${MAX_MLPROJECT_BYTES} bytes`,
    );
  }
}

/**
 * Reads a text file of the project (MLproject, environment and requirement files): a regular
 * file of at most MAX_MLPROJECT_BYTES, else a clear error.
 */
export async function readProjectFile(path: string, what: string, verb = "read"): Promise<string> {
  await regularFile(path, what, verb);
  return await Deno.readTextFile(path);
}

/** The project directory for `#subdir` inside `root`; the subdirectory must stay inside. */
export async function projectSubdir(root: string, subdir: string): Promise<string> {
  if (!subdir) return root;
  const real = await containedPath(await Deno.realPath(root), subdir, "subdirectory");
  if (!(await Deno.stat(real)).isDirectory) {
    throw fail(`Could not find subdirectory "${subdir}" of "${root}"`);
  }
  return real;
}
