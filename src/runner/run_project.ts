/**
 * `mlt run` end to end: fetch the project, parse and bind, make its environment (all before a run
 * exists), create the run, start the entry point in its own process group with its output saved
 * as the run's `mlt/stdout.log`, record how it ended, clean up.
 * Knows only TrackingStore; everything from the environment arrives in RunRequest.
 */
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { MltError } from "../errors.ts";
import type { RunStatus, Tag } from "../model.ts";
import type { TrackingStore } from "../store/store.ts";
import { metadataConflict } from "../store/artifact_guard.ts";
import { localArtifactDir, STDOUT_LOG } from "./artifact_dir.ts";
import { renderCommand } from "./command.ts";
import {
  containerPath,
  DOCKER_IMAGE_ID_TAG,
  DOCKER_IMAGE_URI_TAG,
  dockerRunArgs,
  stopContainer,
  trackingAccess,
} from "./docker.ts";
import { childEnv, chooseEnvManager, type EnvManager } from "./env.ts";
import { absoluteStoreUri } from "../store/open_uri.ts";
import { which } from "./env_cache.ts";
import { type Activation, setUpEnvironment } from "./env_setup.ts";
import { fetchProject, type GitInfo, isBareRepo, localGitInfo } from "./git.ts";
import { type Binding, bindParams, paramsToLog, parseParamArgs, usageError } from "./params.ts";
import { OutputLog } from "./output_log.ts";
import {
  type ChildResult,
  type ChildSpec,
  type GroupOptions,
  type OutputMode,
  runInGroup,
} from "./process.ts";
import { containedPath, type LoadedProject, loadProject, projectSubdir } from "./project.ts";
import {
  createProjectRun,
  EXIT_CODE_TAG,
  finishRun,
  projectTags,
  resolveExperiment,
  resumeRun,
  SIGNAL_TAG,
} from "./run_record.ts";
import { resolveEntryPoint } from "./spec.ts";
import { type Sampler, startSystemMetrics } from "./system_metrics.ts";
import { checkVersion, parseProjectUri } from "./uri.ts";

/** Everything `mlt run` needs; the CLI fills it from flags and the environment. */
export interface RunRequest {
  uri: string;
  entryPoint?: string;
  /** Raw `-P name=value` arguments. */
  params?: string[];
  version?: string;
  experimentName?: string;
  experimentId?: string;
  runName?: string;
  runId?: string;
  envManager?: string;
  noConda?: boolean;
  /** The directory relative paths are resolved against. */
  cwd: string;
  /** The user's environment (the child inherits it). */
  env: Record<string, string>;
  store: TrackingStore;
  /** The tracking URI the store was opened from, as given. */
  storeUri: string;
  /** Writes one status line (stderr). */
  log: (line: string) => void;
  /** Grace period between SIGTERM and SIGKILL. */
  graceMs?: number;
  gitTimeoutMs?: number;
  /** Sample CPU, memory and GPU of the entry point (default true). */
  systemMetrics?: boolean;
  /** Milliseconds between system metric samples (default 5000). */
  systemMetricsIntervalMs?: number;
  /** mlt's stdout and stderr are a terminal: the entry point gets a pty (through `script`). */
  terminal?: boolean;
  /** mlt's stdin is a terminal too (docker gets `-t` only when its stdin and stdout are one). */
  stdinTerminal?: boolean;
  /** How long `docker info` may take before a docker_env project is refused (default 10 s). */
  dockerInfoTimeoutMs?: number;
  /** Let docker_env volumes mount host paths outside the project (`--allow-docker-volumes`). */
  allowDockerVolumes?: boolean;
  /** Save the entry point's output as the run artifact `mlt/stdout.log` (default true). */
  saveOutput?: boolean;
  /** Where virtualenvs and conda environments are cached (`~/.mlt/envs`). */
  envRoot?: string;
  /** What to print after "Run <id> FINISHED": where to see the run (default: nothing). */
  viewHint?: (experimentId: string, runId: string) => Promise<string | undefined>;
  /**
   * Serves the tracking store over HTTP for the run's duration; the child then logs through it
   * (for stores the Python client cannot open itself). Called just before the child starts.
   */
  trackingServer?: () => Promise<TrackingEndpoint>;
}

/** A tracking server the runner started for one run. */
export interface TrackingEndpoint {
  /** `http://127.0.0.1:<port>`: the child's MLFLOW_TRACKING_URI. */
  uri: string;
  /** Stops accepting connections and lets in-flight requests finish. */
  stop(): Promise<void>;
}

/** A project fetched, parsed and bound: nothing recorded yet. */
interface Prepared {
  dir: string;
  entryPoint: string;
  command: string;
  binding: Binding;
  envManager: EnvManager;
  project: LoadedProject;
  activation: Activation;
  sourceName: string;
  git: GitInfo;
  /** Host paths a docker container needs at the same path (`path` parameters outside the project). */
  mounts: string[];
  cleanup: () => Promise<void>;
}

const SIGNAL_NUMBER: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };
// Signals that mean "someone stopped it" (KILLED) rather than "it crashed" (FAILED).
const KILL_SIGNALS = new Set(["SIGHUP", "SIGINT", "SIGTERM", "SIGKILL", "SIGQUIT"]);

/** Runs a project and returns the exit code `mlt run` should exit with. */
export async function runProject(req: RunRequest): Promise<number> {
  const p = await prepare(req);
  try {
    return await execute(req, p);
  } finally {
    await p.cleanup();
  }
}

async function prepare(req: RunRequest): Promise<Prepared> {
  const source = parseProjectUri(req.uri, req.cwd);
  const version = req.version === undefined ? undefined : checkVersion(req.version);
  const gitOpts = { env: req.env, timeoutMs: req.gitTimeoutMs };
  let root: string;
  let git: GitInfo = {};
  let sourceName: string;
  let cleanup = () => Promise.resolve();
  const remote = source.kind === "git" ||
    (version !== undefined || await isBareRepo(source.path, gitOpts));
  if (remote) {
    const url = source.kind === "git" ? source.url : source.path;
    const tmp = await Deno.makeTempDir({ prefix: "mlt-project-" });
    cleanup = () => Deno.remove(tmp, { recursive: true }).catch(() => {});
    req.log(`=== Fetching project from ${req.uri} into ${tmp} ===`);
    try {
      git = await fetchProject(url, version, tmp, gitOpts);
      root = tmp;
    } catch (e) {
      await cleanup();
      throw e;
    }
    sourceName = req.uri;
  } else {
    root = source.kind === "local" ? source.path : "";
  }
  try {
    const dir = await projectSubdir(root, source.subdir);
    if (!remote) {
      git = await localGitInfo(dir, gitOpts);
      sourceName = git.worktree ? gitSourceName(git.worktree, dir) : dir;
    }
    const project = await loadProject(dir);
    const entryName = req.entryPoint ?? "main";
    const envManager = chooseEnvManager(req.envManager, req.noConda ?? false, project.env.kind);
    const docker = envManager === "docker";
    // The user's SHELL is a host path; an image has bash (it runs the command with bash -c).
    const shell = docker ? "bash" : req.env.SHELL || "bash";
    const entry = resolveEntryPoint(project.spec, entryName, shell, project);
    if (entry.script) await containedPath(project.dir, entryName, "entry point file");
    const binding = bindParams(entry, parseParamArgs(req.params ?? []));
    for (const warning of binding.warnings) req.log(warning);
    const values = new Map<string, string>();
    const mounts: string[] = [];
    for (const b of binding.declared) {
      if (b.type !== "path") {
        values.set(b.name, b.value);
        continue;
      }
      const local = await resolvePathParam(b.name, b.value, req.cwd);
      if (!docker) {
        values.set(b.name, local);
        continue;
      }
      // Inside the container: under the project's mount, or mounted at the same path.
      const inside = containerPath(await Deno.realPath(local), project.dir);
      const mapped = inside.mount ? { path: local, mount: local } : inside;
      values.set(b.name, mapped.path);
      if (mapped.mount) mounts.push(mapped.mount);
    }
    const command = renderCommand(entry.command, values, binding.extras, entryName);
    const activation = await setUpEnvironment({
      manager: envManager,
      projectDir: project.dir,
      declared: project.env,
      envFile: project.envFile,
      envRoot: req.envRoot,
      env: req.env,
      log: req.log,
      dockerInfoTimeoutMs: req.dockerInfoTimeoutMs,
      allowDockerVolumes: req.allowDockerVolumes,
    });
    return {
      dir: project.dir,
      entryPoint: entryName,
      command,
      binding,
      envManager,
      project,
      activation,
      sourceName: sourceName!,
      git,
      mounts,
      cleanup,
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

function gitSourceName(worktree: string, dir: string): string {
  const rel = dir === worktree ? "" : dir.slice(worktree.length + 1);
  return `file://${worktree}${rel ? `#${rel}` : ""}`;
}

/** A `path` parameter: a local path must exist and becomes absolute; remote URIs are refused. */
async function resolvePathParam(name: string, value: string, cwd: string): Promise<string> {
  let local: string | undefined;
  if (/^file:\/\/(\/|localhost\/)/i.test(value)) {
    local = fileURLToPath(value.replace("//localhost/", "///"));
  } else if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(value)) local = resolve(cwd, value);
  if (local === undefined) {
    throw usageError(
      `Parameter "${name}" is a path, but "${value}" is a remote URI: download it first (mlt does ` +
        `not fetch remote path parameters)`,
    );
  }
  try {
    await Deno.stat(local);
  } catch {
    throw usageError(
      `Got value "${value}" for parameter "${name}", but no such file or directory was found`,
    );
  }
  return local;
}

/** The login name as Python's `getpass.getuser()` finds it: environment, then /etc/passwd. */
function userName(env: Record<string, string>): string {
  const fromEnv = env.LOGNAME || env.USER || env.LNAME || env.USERNAME;
  if (fromEnv) return fromEnv;
  try {
    const uid = String(Deno.uid());
    const line = Deno.readTextFileSync("/etc/passwd").split("\n").find((l) =>
      l.split(":")[2] === uid
    );
    if (line) return line.split(":")[0];
  } catch {
    // No passwd file (or no permission): fall through.
  }
  return "unknown";
}

async function execute(req: RunRequest, p: Prepared): Promise<number> {
  const { store, log } = req;
  const user = userName(req.env);
  const tags = projectTags({
    user,
    sourceName: p.sourceName,
    entryPoint: p.entryPoint,
    envManager: p.envManager,
    commit: p.git.commit,
    repoUrl: p.git.repoUrl,
    branch: p.git.branch,
    pid: Deno.pid,
    host: Deno.hostname(),
  });
  const docker = p.activation.docker;
  if (docker) {
    tags.push({ key: DOCKER_IMAGE_URI_TAG, value: docker.image });
    if (docker.imageId) tags.push({ key: DOCKER_IMAGE_ID_TAG, value: docker.imageId });
  }
  let runId: string;
  let experimentId: string;
  if (req.runId) {
    experimentId = await resumeRun(store, req.runId, tags, req.experimentId);
    runId = req.runId;
    if (req.runName) await store.updateRun({ runId, runName: req.runName });
  } else {
    experimentId = await resolveExperiment(store, {
      name: req.experimentName,
      id: req.experimentId,
      envName: req.env.MLFLOW_EXPERIMENT_NAME,
      envId: req.env.MLFLOW_EXPERIMENT_ID,
    }, log);
    runId = await createProjectRun(store, {
      experimentId,
      runName: req.runName,
      user,
      tags,
      params: paramsToLog(p.binding),
      startTime: Date.now(),
    });
  }
  let trackingUri = absoluteStoreUri(req.storeUri, req.cwd);
  let result: ChildResult;
  let sampler: Sampler | undefined;
  let endpoint: TrackingEndpoint | undefined;
  let output: Output = INHERIT;
  try {
    output = await outputMode(req, runId);
    if (req.trackingServer) {
      endpoint = await req.trackingServer();
      trackingUri = endpoint.uri;
      log(`=== Serving the tracking store to the entry point at ${endpoint.uri} ===`);
    }
    log(
      `=== Running command '${p.command}' in run with ID '${runId}' (experiment ${experimentId}) ===`,
    );
    const run = { runId, experimentId, trackingUri };
    let child: ChildSpec;
    let extra: GroupOptions = {};
    if (docker) {
      child = await dockerChild(req, p, run, output.mode);
      const name = containerName(runId);
      const graceMs = req.graceMs ?? 10_000;
      extra = {
        stop: (force) => stopContainer(docker.program, name, graceMs, force, req.env, log),
        signalFromExitCode: true,
      };
      if (req.systemMetrics !== false) {
        log(
          "=== No system metrics for a docker run: its processes are the container's ===",
        );
      }
    } else {
      const env = childEnv(req.env, run);
      for (const [k, v] of Object.entries(p.activation.env)) {
        if (v === undefined) delete env[k];
        else env[k] = v;
      }
      child = { argv: [...p.activation.prefix, "bash", "-c", p.command], cwd: p.dir, env };
    }
    result = await runInGroup(child, {
      ...extra,
      graceMs: req.graceMs,
      output: output.mode,
      onStart: (pid) => {
        if (req.systemMetrics === false || docker) return;
        sampler = startSystemMetrics(
          pid,
          req.systemMetricsIntervalMs ?? 5000,
          (metrics) => store.logBatch(runId, { metrics }),
          log,
        );
      },
      onSignal: (sig) => log(`=== Run (ID '${runId}') interrupted by ${sig}, cancelling run ===`),
    });
  } catch (e) {
    await finishRun(store, runId, "FAILED", []).catch(() => {});
    throw new MltError("INTERNAL_ERROR", `Cannot start the entry point: ${(e as Error).message}`, {
      cause: e,
    });
  } finally {
    await sampler?.stop();
    await endpoint?.stop();
    await output.close();
  }
  const { status, code, endTags } = outcome(result);
  const final = await finishRun(store, runId, status, endTags);
  if (result.interruptedBy) log(`=== Run (ID '${runId}') killed ===`);
  else if (status === "KILLED") log(`=== Run (ID '${runId}') killed by ${result.signal} ===`);
  else if (code === 0) log(`=== Run (ID '${runId}') succeeded ===`);
  else log(`=== Run (ID '${runId}') failed (exit code ${code}) ===`);
  const hint = await req.viewHint?.(experimentId, runId).catch(() => undefined);
  log(`Run ${runId} ${final}${hint ? `: ${hint}` : ""}`);
  return code;
}

/** The container of a docker run. */
function containerName(runId: string): string {
  return `mlt-${runId}`;
}

/** `docker run …` for a docker_env project: the declared image with the project mounted. */
async function dockerChild(
  req: RunRequest,
  p: Prepared,
  run: { runId: string; experimentId: string; trackingUri: string },
  mode: OutputMode,
): Promise<ChildSpec> {
  const docker = p.activation.docker!;
  const artifactUri = (await req.store.getRun(run.runId)).info.artifactUri ?? "";
  let artifactDir = localArtifactDir(artifactUri, req.cwd);
  const why = artifactDir === undefined ? undefined : metadataConflict(artifactDir);
  if (why !== undefined) {
    req.log(`=== Not mounting the run's artifact location "${artifactUri}": ${why} ===`);
    artifactDir = undefined;
  }
  // A missing mount source would be created by the engine, owned by root.
  if (artifactDir !== undefined) await Deno.mkdir(artifactDir, { recursive: true });
  const access = trackingAccess(run.trackingUri, artifactDir);
  const tty = mode.kind === "tty" ||
    (mode.kind === "inherit" && req.terminal === true && req.stdinTerminal === true);
  const name = containerName(run.runId);
  req.log(`=== Running in the docker image ${docker.image} as container ${name} ===`);
  const args = dockerRunArgs({
    image: docker.image,
    name,
    projectDir: p.dir,
    volumes: docker.volumes,
    environment: docker.environment,
    sameMounts: [...access.mounts, ...p.mounts],
    hostNetwork: access.hostNetwork,
    passEnv: access.passEnv.filter((n) => req.env[n] !== undefined),
    runVars: childEnv({}, run),
    tty,
    command: p.command,
  });
  // docker reads DOCKER_HOST and friends from the user's environment; the container gets only
  // what the -e arguments name.
  return { argv: [docker.program, ...args], cwd: p.dir, env: req.env };
}

/** The entry point's output: where it goes, and how to finish the log afterwards. */
interface Output {
  mode: OutputMode;
  close: () => Promise<void>;
}

const INHERIT: Output = { mode: { kind: "inherit" }, close: () => Promise.resolve() };

/** Where the entry point's output goes, and how to finish the log afterwards. */
async function outputMode(req: RunRequest, runId: string): Promise<Output> {
  const inherit = INHERIT;
  if (req.saveOutput === false) return inherit;
  const artifactUri = (await req.store.getRun(runId)).info.artifactUri ?? "";
  const dir = localArtifactDir(artifactUri, req.cwd);
  if (dir === undefined) {
    req.log(
      `=== Not saving ${STDOUT_LOG}: the run's artifact location "${artifactUri}" is not a ` +
        `local directory ===`,
    );
    return inherit;
  }
  const why = metadataConflict(dir);
  if (why !== undefined) {
    req.log(`=== Not saving ${STDOUT_LOG}: the run's artifact location ${why} ===`);
    return inherit;
  }
  // Only util-linux's `script` takes the flags process.ts gives it; the BSD one (macOS) does not.
  const linux = Deno.build.os === "linux";
  const script = req.terminal && linux ? which("script", req.env.PATH) : undefined;
  if (req.terminal && !script) {
    req.log(
      `=== Not saving ${STDOUT_LOG}: ` +
        (linux
          ? "util-linux `script` is not on PATH (it keeps the terminal while copying the output; " +
            "Debian and Ubuntu: apt-get install bsdutils) ==="
          : "on a terminal that needs util-linux `script` (Linux); redirect the output to save " +
            "it ==="),
    );
    return inherit;
  }
  let log: OutputLog;
  try {
    log = await OutputLog.open(join(dir, STDOUT_LOG), req.log);
  } catch (e) {
    req.log(`=== Not saving ${STDOUT_LOG}: ${(e as Error).message} ===`);
    return inherit;
  }
  if (!script) return { mode: { kind: "pipe", log }, close: () => log.close() };
  const raw = await Deno.makeTempDir({ prefix: "mlt-tty-" });
  return {
    mode: { kind: "tty", log, script, rawFile: join(raw, "typescript") },
    close: async () => {
      await log.close();
      await Deno.remove(raw, { recursive: true }).catch(() => {});
    },
  };
}

function outcome(r: ChildResult): { status: RunStatus; code: number; endTags: Tag[] } {
  const endTags: Tag[] = [{ key: EXIT_CODE_TAG, value: String(r.code) }];
  const sig = r.interruptedBy ?? r.signal;
  if (sig) endTags.push({ key: SIGNAL_TAG, value: sig });
  if (r.interruptedBy) {
    return { status: "KILLED", code: 128 + SIGNAL_NUMBER[r.interruptedBy], endTags };
  }
  if (r.signal) {
    return { status: KILL_SIGNALS.has(r.signal) ? "KILLED" : "FAILED", code: r.code, endTags };
  }
  return { status: r.code === 0 ? "FINISHED" : "FAILED", code: r.code, endTags };
}
