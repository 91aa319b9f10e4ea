/**
 * Makes the environment the entry point runs in (reference §2.5): nothing for `local`; a cached
 * virtualenv (`python3 -m venv` + pip, or uv) for `python_env`; a cached conda prefix (conda,
 * mamba or micromamba) for `conda_env`; for `docker_env`, a Docker engine that answers and the
 * image (docker.ts). Runs before any run exists, so a failure here records nothing.
 */
import { join, relative } from "node:path";
import { MltError } from "../errors.ts";
import { type DockerSetup, setUpDocker } from "./docker.ts";
import { cachedEnv, probe, runStep, sha256Hex, which } from "./env_cache.ts";
import type { EnvManager } from "./env.ts";
import { containedPath, readProjectFile } from "./project.ts";
import {
  majorMinor,
  parsePythonEnv,
  type PythonEnvSpec,
  requirementRef,
  versionMatches,
} from "./python_env.ts";
import type { DeclaredEnv } from "./spec.ts";

/** How to run the entry point inside the environment. */
export interface Activation {
  /** Program and arguments put before `bash -c <command>` (e.g. `conda run -p <prefix>`). */
  prefix: string[];
  /** Variables to set in the child's environment; `undefined` removes one. */
  env: Record<string, string | undefined>;
  /** For docker_env: the entry point runs in `docker run` instead (run_project.ts builds it). */
  docker?: DockerSetup;
}

/** What `setUpEnvironment` needs. */
export interface EnvSetup {
  manager: EnvManager;
  /** The project directory (real path). */
  projectDir: string;
  declared: DeclaredEnv;
  /** Absolute path of the python_env / conda file, if the project has one. */
  envFile?: string;
  /** Where environments are cached (`~/.mlt/envs`); required for every manager but local. */
  envRoot?: string;
  /** The user's environment (PATH finds python3, uv, conda). */
  env: Record<string, string>;
  log: (line: string) => void;
  /** How long `docker info` may take (default 10 s). */
  dockerInfoTimeoutMs?: number;
  /** `--allow-docker-volumes`: docker_env volumes may mount host paths outside the project. */
  allowDockerVolumes?: boolean;
}

const NONE: Activation = { prefix: [], env: {} };

/** Creates (or reuses) the environment and says how to run inside it. */
export async function setUpEnvironment(s: EnvSetup): Promise<Activation> {
  if (s.manager === "local") return NONE;
  if (s.manager === "docker") {
    if (s.declared.kind !== "docker_env") {
      throw new MltError("INVALID_PARAMETER_VALUE", "A docker run needs a docker_env project");
    }
    const docker = await setUpDocker({
      declared: s.declared,
      projectDir: s.projectDir,
      env: s.env,
      log: s.log,
      infoTimeoutMs: s.dockerInfoTimeoutMs,
      allowHostVolumes: s.allowDockerVolumes,
    });
    return { prefix: [], env: {}, docker };
  }
  if (!s.envRoot) {
    throw new MltError(
      "INVALID_PARAMETER_VALUE",
      "Cannot create an environment: neither MLT_ENV_ROOT nor HOME is set",
    );
  }
  if (s.manager === "conda") return await condaEnv(s, s.envRoot);
  if (s.declared.kind === "conda_env") {
    throw new MltError(
      "INVALID_PARAMETER_VALUE",
      `A conda_env project cannot run with --env-manager ${s.manager}: use conda or local`,
    );
  }
  return await pythonEnv(s, s.envRoot, s.manager);
}

/** The interpreter a virtualenv is made from. */
type Interpreter =
  | { kind: "python"; bin: string; version: string }
  | { kind: "uv"; uv: string; python: string };

async function pythonEnv(s: EnvSetup, root: string, manager: "virtualenv" | "uv") {
  const fileText = s.envFile ? await readProjectFile(s.envFile, "python_env file") : "";
  const rel = s.envFile ? relative(s.projectDir, s.envFile) : "python_env.yaml";
  const spec = s.envFile
    ? parsePythonEnv(fileText, s.envFile)
    : { buildDependencies: [], dependencies: [] } as PythonEnvSpec;
  const path = s.env.PATH;
  const uv = which("uv", path);
  if (manager === "uv" && !uv) {
    throw new MltError(
      "INVALID_PARAMETER_VALUE",
      "--env-manager uv needs `uv` on PATH: install it (`pip install uv`, or see " +
        "https://docs.astral.sh/uv/), or use --env-manager virtualenv",
    );
  }
  const interp = manager === "uv"
    ? { kind: "uv" as const, uv: uv!, python: spec.python ?? "python3" }
    : await findPython(spec.python, s.env, uv, rel);
  // Requirement files included with -r/-c: inside the project, absolute, and part of the key.
  const included: Record<string, string> = {};
  const resolveLines = async (lines: string[]) => {
    const out: string[] = [];
    for (const line of lines) {
      const ref = requirementRef(line);
      if (!ref) {
        out.push(line);
        continue;
      }
      const abs = await containedPath(s.projectDir, ref.file, `requirements file`);
      included[ref.file] = await readProjectFile(abs, "requirements file");
      out.push(`${ref.flag} ${abs}`);
    }
    return out;
  };
  const build = await resolveLines(spec.buildDependencies);
  const deps = await resolveLines(spec.dependencies);
  const key = await sha256Hex(JSON.stringify({
    manager,
    python: interp.kind === "python" ? interp.version : interp.python,
    fileText,
    included,
  }));
  const dir = await cachedEnv(root, `${manager}-${key.slice(0, 24)}`, manager, s.log, async (d) => {
    const stepEnv = { ...s.env, PIP_DISABLE_PIP_VERSION_CHECK: "1" };
    const step = (argv: string[]) => runStep(argv, { cwd: s.projectDir, env: stepEnv, log: s.log });
    if (interp.kind === "python") {
      s.log(`=== Creating a virtualenv with Python ${interp.version} (${interp.bin}) ===`);
      await step([interp.bin, "-m", "venv", d]);
    } else {
      s.log(`=== Creating a virtualenv with uv for Python ${interp.python} ===`);
      const seed = manager === "virtualenv" ? ["--seed"] : [];
      await step([interp.uv, "venv", ...seed, "--python", interp.python, d]);
    }
    const py = join(d, "bin", "python");
    const install = async (what: string, lines: string[]) => {
      if (!lines.length) return;
      s.log(`=== Installing ${what} from ${rel}: ${lines.join(", ")} ===`);
      const tmp = await Deno.makeTempFile({ prefix: "mlt-requirements-", suffix: ".txt" });
      try {
        await Deno.writeTextFile(tmp, lines.join("\n") + "\n");
        await step(
          manager === "uv"
            ? [uv!, "pip", "install", "--python", py, "-r", tmp]
            : [py, "-m", "pip", "install", "-r", tmp],
        );
      } finally {
        await Deno.remove(tmp).catch(() => {});
      }
    };
    await install("build dependencies", build);
    await install("dependencies", deps);
  });
  return {
    prefix: [],
    env: {
      PATH: `${join(dir, "bin")}${path ? `:${path}` : ""}`,
      VIRTUAL_ENV: dir,
      PYTHONHOME: undefined,
    },
  };
}

const VERSION_PY = "import sys; print('%d.%d.%d' % sys.version_info[:3])";

/** python3 when it has the requested major.minor, else python<M.m>, else uv, else an error. */
async function findPython(
  want: string | undefined,
  env: Record<string, string>,
  uv: string | undefined,
  rel: string,
): Promise<Interpreter> {
  const candidates = ["python3"];
  if (want) candidates.push(`python${majorMinor(want)}`);
  let found: string | undefined;
  for (const name of candidates) {
    const bin = which(name, env.PATH);
    if (!bin) continue;
    const version = await probe([bin, "-c", VERSION_PY], env);
    if (!version) continue;
    found ??= `${name} is ${version}`;
    if (!want || versionMatches(majorMinor(want), version)) {
      return { kind: "python", bin, version };
    }
  }
  if (uv && want) return { kind: "uv", uv, python: want };
  throw new MltError(
    "INVALID_PARAMETER_VALUE",
    `Cannot create the virtualenv: ${rel} asks for Python ${want ?? "3"}, but ` +
      `${found ?? "no python3 is on PATH"}. Install Python ${want ?? "3"} (as ` +
      `python${want ? majorMinor(want) : "3"}), or install uv so mlt can fetch it, or run with ` +
      "--env-manager local",
  );
}

/** The conda-like tools mlt can drive, in order of preference. */
const CONDA_TOOLS = ["conda", "mamba", "micromamba"] as const;

async function condaEnv(s: EnvSetup, root: string): Promise<Activation> {
  if (s.declared.kind !== "conda_env" || !s.envFile) {
    throw new MltError(
      "INVALID_PARAMETER_VALUE",
      "--env-manager conda needs a conda environment file: declare conda_env in the MLproject " +
        "or add conda.yaml",
    );
  }
  const found = CONDA_TOOLS.map((t) => [t, which(t, s.env.PATH)] as const).find(([, p]) => p);
  if (!found) {
    throw new MltError(
      "INVALID_PARAMETER_VALUE",
      `Cannot create the conda environment of "${s.declared.file}": none of conda, mamba or ` +
        "micromamba is on PATH. Install one (Miniforge from https://conda-forge.org, or " +
        "micromamba), or run with --env-manager local",
    );
  }
  const [tool, bin] = found;
  const text = await readProjectFile(s.envFile, "conda_env file");
  const key = await sha256Hex(JSON.stringify({ tool, text }));
  const file = s.envFile;
  const dir = await cachedEnv(
    root,
    `conda-${key.slice(0, 24)}`,
    "conda environment",
    s.log,
    (d) => {
      s.log(
        `=== Creating a conda environment with ${tool} from ${
          s.declared.kind === "conda_env" ? s.declared.file : file
        } ===`,
      );
      const argv = tool === "conda"
        ? [bin!, "env", "create", "-p", d, "-f", file]
        : [bin!, "create", "-y", "-p", d, "-f", file];
      return runStep(argv, { cwd: s.projectDir, env: s.env, log: s.log });
    },
  );
  return {
    prefix: tool === "micromamba"
      ? [bin!, "run", "-p", dir]
      : [bin!, "run", "--no-capture-output", "-p", dir],
    env: {},
  };
}
