/**
 * `docker_env` projects (reference §2.5): mlt runs the declared image as it is — no image is built
 * on top — with the project mounted at /mlflow/projects/code, the MLproject's `volumes` and
 * `environment`, the run's MLFLOW_* variables, and whatever the child needs to reach the tracking
 * store (a local store mounted at the same path; mlt's 127.0.0.1 endpoint through the host's
 * network). The argv builders are pure; `setUpDocker` asks the engine (`docker info`, image
 * inspect, pull) before any run exists.
 */
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { MltError } from "../errors.ts";
import { realPathOf } from "../store/artifact_guard.ts";
import { posixNormpath } from "../validate.ts";
import { runStep, which } from "./env_cache.ts";
import type { DeclaredEnv } from "./spec.ts";

/** Where the project is mounted inside the container (MLflow's path), also the working dir. */
export const CONTAINER_PROJECT_DIR = "/mlflow/projects/code";
/** MLflow's tag for the image a docker run used. */
export const DOCKER_IMAGE_URI_TAG = "mlflow.docker.image.uri";
/** MLflow's tag for that image's id. */
export const DOCKER_IMAGE_ID_TAG = "mlflow.docker.image.id";
/** How long `docker info` may take to answer. */
export const DOCKER_INFO_TIMEOUT_MS = 10_000;

/** Variables the runner sets in the container; the project's `environment` cannot change them. */
export const RUNNER_VARS: ReadonlySet<string> = new Set([
  "MLFLOW_RUN_ID",
  "MLFLOW_EXPERIMENT_ID",
  "MLFLOW_TRACKING_URI",
  "MLFLOW_ALLOW_FILE_STORE",
  "MLFLOW_EXPERIMENT_NAME",
]);
/** Host variables passed on (by name, never in argv) when the child logs to a remote server. */
export const TRACKING_CREDENTIALS = [
  "MLFLOW_TRACKING_USERNAME",
  "MLFLOW_TRACKING_PASSWORD",
  "MLFLOW_TRACKING_TOKEN",
  "MLFLOW_TRACKING_INSECURE_TLS",
] as const;

type DockerDecl = Extract<DeclaredEnv, { kind: "docker_env" }>;

function invalid(why: string): MltError {
  return new MltError(
    "INVALID_PARAMETER_VALUE",
    `Project configuration (MLproject file) is invalid: ${why}`,
  );
}

// An image reference as docker parses it: [domain[:port]/]path[:tag][@digest], path lower case.
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?";
const DOMAIN = `(?:${LABEL}(?:\\.${LABEL})*|\\[[0-9A-Fa-f:]+\\])(?::[0-9]+)?`;
const IMAGE_RE = new RegExp(
  `^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?` +
    `(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,})?$`,
);

/** Checks `docker_env.image` is an image reference (so it can never be read as an option). */
export function checkImage(image: string): string {
  if (image.length > 512 || !IMAGE_RE.test(image)) {
    throw invalid(
      `docker_env.image "${image}" is not an image reference such as "python:3.12-slim" or ` +
        `"registry.example.com:5000/team/image:tag"`,
    );
  }
  return image;
}

const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]+$/;
const VOLUME_MODES = new Set([
  "ro",
  "rw",
  "z",
  "Z",
  "shared",
  "rshared",
  "slave",
  "rslave",
  "private",
  "rprivate",
  "nocopy",
  "delegated",
  "cached",
  "consistent",
]);
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;

/**
 * One `docker_env.volumes` entry as a `-v` value: `host:container[:mode]` with the host path made
 * absolute against the project directory (a bare name is a named volume, as in docker), or a lone
 * absolute container path (an anonymous volume).
 */
export function volumeArg(spec: string, projectDir: string): string {
  const bad = (why: string) => invalid(`docker_env.volumes entry "${spec}" ${why}`);
  if (spec === "" || CONTROL.test(spec)) throw bad("is empty or contains a control character");
  const parts = spec.split(":");
  if (parts.length > 3 || parts.some((p) => p === "")) {
    throw bad(`must be "host:container" or "host:container:mode"`);
  }
  const container = (p: string) => {
    if (!p.startsWith("/")) throw bad(`has a container path "${p}" that is not absolute`);
    const norm = posixNormpath(p);
    if (norm === CONTAINER_PROJECT_DIR) {
      throw bad(`mounts over ${CONTAINER_PROJECT_DIR}, where mlt mounts the project`);
    }
    return norm;
  };
  if (parts.length === 1) return container(parts[0]);
  const [host, target, mode] = parts;
  let source: string;
  if (host.startsWith("~")) {
    throw bad(`starts with "~", which docker does not expand: use an absolute path`);
  } else if (host.startsWith("/")) source = posixNormpath(host);
  else if (host === "." || host === ".." || host.includes("/")) source = resolve(projectDir, host);
  else if (VOLUME_NAME.test(host)) source = host;
  else throw bad(`has a host part "${host}" that is neither a path nor a volume name`);
  if (mode !== undefined && !mode.split(",").every((m) => VOLUME_MODES.has(m))) {
    throw bad(`has an unknown mode "${mode}"`);
  }
  return [source, container(target), ...(mode === undefined ? [] : [mode])].join(":");
}

/**
 * Refuses volumes whose host path (after following links) lies outside the project: mounting `/`,
 * `/etc` or a home directory gives the image the host's files. `specs` are the MLproject's
 * entries, `args` their `volumeArg` values. Reads the file system (links).
 */
export function checkVolumeSources(
  specs: readonly string[],
  args: readonly string[],
  projectDir: string,
): void {
  const project = realPathOf(projectDir);
  for (const [i, arg] of args.entries()) {
    const source = arg.split(":")[0];
    if (!arg.includes(":") || !source.startsWith("/")) continue; // anonymous or named volume
    const real = realPathOf(source);
    if (real === project || real.startsWith(project.endsWith("/") ? project : project + "/")) {
      continue;
    }
    throw invalid(
      `docker_env.volumes entry "${specs[i]}" mounts the host path "${real}", which is outside ` +
        "the project: the container could read and change it. Mount a folder of the project, " +
        "a named volume, or pass --allow-docker-volumes to allow host paths",
    );
  }
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `-e` values of `docker_env.environment`, and the names left out because mlt sets them. */
export interface EnvironmentArgs {
  /** `NAME=value` for a pair; `NAME` (docker copies the client's value) for a set host variable. */
  values: string[];
  /** Names mlt sets itself (the run's variables). */
  ignored: string[];
  /** Names to copy that the host does not have (MLflow refuses to run; mlt warns). */
  unset: string[];
}

/** The MLproject's `environment` list as `-e` values; host variables that are unset are skipped. */
export function environmentArgs(
  entries: DockerDecl["environment"],
  hostEnv: Readonly<Record<string, string>>,
): EnvironmentArgs {
  const values: string[] = [];
  const ignored: string[] = [];
  const unset: string[] = [];
  for (const entry of entries) {
    const [name, value] = typeof entry === "string" ? [entry, undefined] : entry;
    if (!ENV_NAME.test(name)) {
      throw invalid(`docker_env.environment name "${name}" is not a variable name`);
    }
    if (value !== undefined && value.includes("\0")) {
      throw invalid(`docker_env.environment value of "${name}" contains a NUL byte`);
    }
    if (RUNNER_VARS.has(name)) ignored.push(name);
    else if (value !== undefined) values.push(`${name}=${value}`);
    else if (hostEnv[name] !== undefined) values.push(name);
    else unset.push(name);
  }
  return { values, ignored, unset };
}

/** How the container reaches the tracking store. */
export interface TrackingAccess {
  /** Host directories mounted at the same path inside. */
  mounts: string[];
  /** The store is on the host's loopback: the container shares the host's network. */
  hostNetwork: boolean;
  /** Host variables to pass by name (credentials of a remote server). */
  passEnv: string[];
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1)$/i;

/** What the container needs for the child's tracking URI and the run's local artifact dir. */
export function trackingAccess(trackingUri: string, artifactDir?: string): TrackingAccess {
  const access: TrackingAccess = { mounts: [], hostNetwork: false, passEnv: [] };
  if (/^file:/i.test(trackingUri)) access.mounts.push(fileURLToPath(trackingUri));
  else if (/^sqlite:\/\/\/\//i.test(trackingUri)) {
    // A SQLite file and its journal: the directory it lives in.
    access.mounts.push(dirname(trackingUri.slice("sqlite:///".length)));
  } else {
    let url: URL | undefined;
    try {
      url = new URL(trackingUri);
    } catch {
      // not a URL: nothing to reach
    }
    if (url && LOOPBACK.test(url.hostname)) access.hostNetwork = true;
    if (url && /^https?:$/.test(url.protocol)) access.passEnv.push(...TRACKING_CREDENTIALS);
  }
  if (artifactDir !== undefined) access.mounts.push(artifactDir);
  return access;
}

/** Absolute host paths, normalized, without duplicates or paths inside another one. */
export function outermostPaths(paths: readonly string[]): string[] {
  const norm = [...new Set(paths.map((p) => posixNormpath(p)))].sort();
  return norm.filter((p) => !norm.some((q) => q !== p && (q === "/" || p.startsWith(q + "/"))));
}

/** Everything `docker run` gets. */
export interface DockerRunOptions {
  image: string;
  /** Container name (`mlt-<run id>`), so an interrupt can `docker stop` it. */
  name: string;
  /** The project directory on the host. */
  projectDir: string;
  /** Validated `-v` values from the MLproject (`volumeArg`). */
  volumes: readonly string[];
  /** `-e` values from the MLproject (`environmentArgs`). */
  environment: readonly string[];
  /** Host paths mounted at the same path inside (tracking store, artifacts, path parameters). */
  sameMounts: readonly string[];
  hostNetwork: boolean;
  /** Host variables passed by name (docker copies them from its own environment when set). */
  passEnv: readonly string[];
  /** The run's variables; set last, so nothing overrides them. */
  runVars: Readonly<Record<string, string>>;
  /** Give the container a terminal (`-t`): only when docker's own stdin and stdout are one. */
  tty: boolean;
  /** The rendered entry point command, run with `bash -c`. */
  command: string;
}

/** `docker run …` arguments (after the program name); each value is one argv element. */
export function dockerRunArgs(o: DockerRunOptions): string[] {
  const hostPath = (p: string, what: string) => {
    if (!isAbsolute(p) || p === "/" || p.includes(":") || CONTROL.test(p)) {
      throw new MltError(
        "INVALID_PARAMETER_VALUE",
        `Cannot mount ${what} "${p}" into the container: docker -v needs an absolute path ` +
          `other than "/", without ":" or control characters`,
      );
    }
    return p;
  };
  const targets = new Map<string, string>();
  const mount = (value: string, what: string) => {
    const parts = value.split(":");
    const target = parts.length === 1 ? parts[0] : parts[1];
    const other = targets.get(target);
    if (other !== undefined) {
      throw new MltError(
        "INVALID_PARAMETER_VALUE",
        `Cannot mount ${what} at "${target}" in the container: ${other} is mounted there`,
      );
    }
    targets.set(target, what);
    return ["-v", value];
  };
  const args = ["run", "--rm", "-i"];
  if (o.tty) args.push("-t");
  args.push("--init", "--name", o.name);
  if (o.hostNetwork) args.push("--network", "host");
  args.push(
    ...mount(
      `${hostPath(o.projectDir, "the project")}:${CONTAINER_PROJECT_DIR}`,
      "the project",
    ),
    "-w",
    CONTAINER_PROJECT_DIR,
  );
  for (const p of outermostPaths(o.sameMounts)) {
    const path = hostPath(p, "the directory");
    args.push(...mount(`${path}:${path}`, `"${path}"`));
  }
  for (const v of o.volumes) args.push(...mount(v, `volume "${v}"`));
  const runVars = Object.keys(o.runVars);
  for (const e of o.environment) {
    if (!runVars.includes(e.split("=")[0])) args.push("-e", e);
  }
  for (const name of o.passEnv) {
    if (!runVars.includes(name)) args.push("-e", name);
  }
  for (const [k, v] of Object.entries(o.runVars)) args.push("-e", `${k}=${v}`);
  args.push(checkImage(o.image), "bash", "-c", o.command);
  return args;
}

/** A docker_env project ready to run: the engine answered and the image is there. */
export interface DockerSetup {
  /** The docker client. */
  program: string;
  image: string;
  /** `sha256:…` of the image, when docker told it. */
  imageId?: string;
  volumes: string[];
  environment: string[];
}

/** Options of `setUpDocker`. */
export interface DockerSetupOptions {
  declared: DockerDecl;
  projectDir: string;
  /** `--allow-docker-volumes`: volumes may mount host paths outside the project. */
  allowHostVolumes?: boolean;
  /** The user's environment: PATH finds docker; DOCKER_HOST and friends reach the engine. */
  env: Record<string, string>;
  log: (line: string) => void;
  infoTimeoutMs?: number;
}

/** Validates the MLproject's docker_env, checks that an engine answers, and pulls the image. */
export async function setUpDocker(o: DockerSetupOptions): Promise<DockerSetup> {
  const image = checkImage(o.declared.image);
  const volumes = o.declared.volumes.map((v) => volumeArg(v, o.projectDir));
  if (!o.allowHostVolumes) checkVolumeSources(o.declared.volumes, volumes, o.projectDir);
  const env = environmentArgs(o.declared.environment, o.env);
  if (env.ignored.length) {
    o.log(
      `=== docker_env.environment: ignoring ${env.ignored.join(", ")}, which mlt sets for ` +
        `the run ===`,
    );
  }
  if (env.unset.length) {
    o.log(
      `=== docker_env.environment: ${env.unset.join(", ")} ${
        env.unset.length === 1 ? "is" : "are"
      } not set here, so the container will not have ${env.unset.length === 1 ? "it" : "them"} ===`,
    );
  }
  const program = await checkDockerEngine(o.env, o.infoTimeoutMs ?? DOCKER_INFO_TIMEOUT_MS);
  let imageId = await inspectImage(program, image, o.env);
  if (imageId === undefined) {
    o.log(`=== Pulling the docker image ${image} ===`);
    await runStep([program, "pull", image], { env: o.env, log: o.log });
    imageId = await inspectImage(program, image, o.env);
  }
  o.log(`=== Using the docker image ${image}${imageId ? ` (${imageId})` : ""} ===`);
  return { program, image, imageId, volumes, environment: env.values };
}

const NEED_ENGINE = "docker_env projects need a Docker engine";

/** The docker client, once `docker info` says an engine answers; else a clear error. */
export async function checkDockerEngine(
  env: Record<string, string>,
  timeoutMs: number = DOCKER_INFO_TIMEOUT_MS,
): Promise<string> {
  const program = which("docker", env.PATH);
  if (!program) {
    throw new MltError(
      "INVALID_STATE",
      `${NEED_ENGINE}, but \`docker\` is not on PATH: install Docker Engine ` +
        "(https://docs.docker.com/engine/install/) and start it, or run the entry point's " +
        "command inside the image yourself",
    );
  }
  let why: string;
  const timeout = AbortSignal.timeout(timeoutMs);
  const late = `\`docker info\` did not answer within ${timeoutMs / 1000} s`;
  try {
    const out = await new Deno.Command(program, {
      args: ["info", "--format", "{{.ServerVersion}}"],
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: timeout,
    }).output();
    const version = new TextDecoder().decode(out.stdout).trim();
    // `docker info --format` can exit 0 with an error on stderr and nothing on stdout.
    if (out.success && version) return program;
    const lines = new TextDecoder().decode(out.stderr).split("\n").map((l) => l.trim())
      .filter(Boolean);
    why = timeout.aborted
      ? late
      : `\`docker info\` failed${lines.length ? `: ${lines[lines.length - 1]}` : ""}`;
  } catch (e) {
    why = timeout.aborted ? late : `\`docker info\` could not run: ${(e as Error).message}`;
  }
  throw new MltError(
    "INVALID_STATE",
    `${NEED_ENGINE}, but none answers (${why}). Start the Docker daemon (or point DOCKER_HOST ` +
      "at one), or run the entry point's command inside the image yourself",
  );
}

/** The image's id when the engine has it locally; undefined when it has to be pulled. */
async function inspectImage(
  program: string,
  image: string,
  env: Record<string, string>,
): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(program, {
      args: ["image", "inspect", "--format", "{{.Id}}", image],
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const id = new TextDecoder().decode(out.stdout).trim();
    return out.success && id ? id : undefined;
  } catch {
    return undefined;
  }
}

/** `docker stop -t <seconds> <name>` (or `docker kill` when `force`); true when it worked. */
export async function stopContainer(
  program: string,
  name: string,
  graceMs: number,
  force: boolean,
  env: Record<string, string>,
  log: (line: string) => void,
): Promise<boolean> {
  const args = force ? ["kill", name] : ["stop", "-t", String(Math.ceil(graceMs / 1000)), name];
  try {
    const out = await new Deno.Command(program, {
      args,
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      signal: AbortSignal.timeout(graceMs + 30_000),
    }).output();
    if (out.success) return true;
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").pop() ?? "";
    log(`=== \`docker ${args.join(" ")}\` failed${err ? `: ${err}` : ""} ===`);
  } catch (e) {
    log(`=== \`docker ${args.join(" ")}\` failed: ${(e as Error).message} ===`);
  }
  return false;
}

/** A path parameter's value inside the container: under the project mount, or mounted as is. */
export function containerPath(
  hostPath: string,
  projectDir: string,
): { path: string; mount?: string } {
  const rel = relative(projectDir, hostPath);
  if (rel === "") return { path: CONTAINER_PROJECT_DIR };
  if (rel !== ".." && !rel.startsWith("../") && !isAbsolute(rel)) {
    return { path: `${CONTAINER_PROJECT_DIR}/${rel}` };
  }
  return { path: hostPath, mount: hostPath };
}
