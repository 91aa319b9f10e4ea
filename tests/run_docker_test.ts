/**
 * `mlt run` on docker_env projects. No Docker engine exists where these tests run, so: the real
 * client (or none) gives the clear error and no run; a stand-in `docker` first on PATH answers
 * `info`, records the argv of `run`, and runs the container command on the host with only the
 * `-e` variables (as `docker run` would), so the whole flow — run record, params, variables, exit
 * codes, `docker stop` on SIGTERM — is exercised.
 */
import assert from "node:assert/strict";
import { alive, gone } from "./helpers/process.ts";
import {
  exists,
  MAIN,
  mltRun,
  onlyRun,
  output,
  paramsOf,
  project as projectIn,
  runsIn,
  spawnMlt,
  tagsOf,
  waitFor,
} from "./helpers/mlt_run.ts";
import { join } from "node:path";

const CONFIG = new URL("../deno.json", import.meta.url).pathname;
const IMAGE_ID = "sha256:" + "5e".repeat(32);
const project = (files: Record<string, string>) => projectIn(files, "mlt-docker-test-");

/** PATH without the directories holding a `docker`. */
function pathWithoutDocker(): string {
  return (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":").filter((d) => {
    try {
      Deno.statSync(join(d, "docker"));
      return false;
    } catch {
      return true;
    }
  }).join(":");
}

/**
 * A stand-in `docker` in `<dir>/bin`: logs every call to `<dir>/docker.calls`, answers `info`,
 * `image inspect` (once pulled) and `pull`; `run` saves its argv NUL-separated to
 * `<dir>/run.argv`, then runs the container command in a new session, in the host directory
 * mounted at `-w`, with a clean environment plus the `-e` variables; `stop`/`kill` signal that
 * session as the engine would the container.
 */
async function fakeDocker(dir: string): Promise<Record<string, string>> {
  const bin = join(dir, "bin");
  await Deno.mkdir(bin, { recursive: true });
  await Deno.writeTextFile(
    join(bin, "docker"),
    `#!/bin/bash
state=${JSON.stringify(dir)}
echo "$*" >> "$state/docker.calls"
case "$1" in
  info) echo 28.2.2 ;;
  image) [ -f "$state/pulled" ] && echo ${IMAGE_ID} || { echo "No such image: \${@: -1}" >&2; exit 1; } ;;
  pull) echo "$2: Pulling from library"; echo "Status: Downloaded newer image for $2"; touch "$state/pulled" ;;
  stop|kill)
    name="\${@: -1}"; secs=0; [ "$1 $2" = "stop -t" ] && secs=$3
    pid=$(cat "$state/$name.pid" 2>/dev/null) || { echo "No such container: $name" >&2; exit 1; }
    [ "$1" = kill ] && { kill -KILL -- "-$pid"; exit 0; }
    kill -TERM -- "-$pid"
    for _ in $(seq $((secs * 20))); do kill -0 -- "-$pid" 2>/dev/null || exit 0; sleep 0.05; done
    kill -KILL -- "-$pid" 2>/dev/null; exit 0 ;;
  run)
    printf '%s\\0' "$@" > "$state/run.argv"
    shift
    envs=(); declare -A mounts
    while [ $# -gt 0 ]; do
      case "$1" in
        --rm|-i|-t|--init) shift ;;
        --name) name=$2; shift 2 ;;
        --network) shift 2 ;;
        -w) workdir=$2; shift 2 ;;
        -v) IFS=: read -r host target _ <<< "$2"; mounts[$target]=$host; shift 2 ;;
        -e) if [[ $2 == *=* ]]; then envs+=("$2"); elif [ -n "\${!2+x}" ]; then envs+=("$2=\${!2}"); fi; shift 2 ;;
        -*) echo "fake docker: unknown flag $1" >&2; exit 125 ;;
        *) break ;;
      esac
    done
    shift # the image
    cd "\${mounts[$workdir]}" || exit 125
    setsid env -i PATH="$PATH" HOME="$HOME" "\${envs[@]}" "$@" &
    pid=$!
    echo $pid > "$state/$name.pid"
    wait $pid; code=$?
    rm -f "$state/$name.pid"
    exit $code ;;
  *) echo "fake docker: unknown command $1" >&2; exit 1 ;;
esac
`,
    { mode: 0o755 },
  );
  return { PATH: `${bin}:${Deno.env.get("PATH")}` };
}

/** The argv the stand-in's last `docker run` got. */
async function runArgv(dir: string): Promise<string[]> {
  const text = await Deno.readTextFile(join(dir, "run.argv"));
  return text.split("\0").slice(0, -1);
}

/** The values following each occurrence of `flag` in `argv`. */
function flagValues(argv: string[], flag: string): string[] {
  return argv.flatMap((a, i) => a === flag ? [argv[i + 1]] : []);
}

async function calls(dir: string): Promise<string[]> {
  return (await Deno.readTextFile(join(dir, "docker.calls"))).trim().split("\n");
}

const EP = "entry_points: {main: {command: echo hi}}\n";
const DOCKER_MLPROJECT = "name: dockerized\n" +
  "docker_env:\n  image: python:3.12-slim\n" +
  "  volumes: ['./data:/data:ro', 'named-cache:/cache']\n" +
  "  environment: [HOST_VAR, UNSET_VAR, [PAIR, 'a b'], [MLFLOW_RUN_ID, evil]]\n" +
  "entry_points:\n" +
  "  main:\n    parameters: {a: string, n: {type: int, default: 3}, inside: path, outside: path}\n" +
  "    command: bash show.sh {a} {n} {inside} {outside}\n" +
  "  fail:\n    command: 'exit 7'\n" +
  "  killed:\n    command: 'kill -KILL $$'\n" +
  "  sleep:\n    command: 'sleep 300 & echo $! > grandchild.pid; wait'\n";

const SHOW_SH = `printf 'arg=%s|\\n' "$@"
echo "pwd=$PWD"
env | grep -E '^(MLFLOW_|HOST_VAR|UNSET_VAR|PAIR|SECRET_NOT_PASSED)' | sort
`;

Deno.test("mlt run docker_env: no engine answers → a clear error and no run", async () => {
  const { dir, proj } = await project({
    MLproject:
      "docker_env: {image: 'python:3.12-slim'}\nentry_points: {main: {command: echo hi}}\n",
    "bad-image/MLproject": "docker_env: {image: '--privileged'}\n" + EP,
    "bad-volume/MLproject": "docker_env: {image: alpine, volumes: ['~/x:/x']}\n" + EP,
    "bad-env/MLproject": "docker_env: {image: alpine, environment: [[A-B, x]]}\n" + EP,
    "host-root/MLproject": "docker_env: {image: alpine, volumes: ['/:/host']}\n" + EP,
    "host-home/MLproject": "docker_env: {image: alpine, volumes: ['../..:/up:ro']}\n" + EP,
  });
  const realDocker = pathWithoutDocker() !== Deno.env.get("PATH");
  const cases: [Record<string, string>, RegExp][] = [
    [
      { PATH: pathWithoutDocker() },
      /^error: docker_env projects need a Docker engine, but `docker` is not on PATH: install/m,
    ],
  ];
  if (realDocker) {
    // The real client, pointed at a socket nobody serves (and, where no engine runs, as it is).
    cases.push([
      { DOCKER_HOST: `unix://${dir}/no-engine.sock` },
      /^error: docker_env projects need a Docker engine, but none answers \(`docker info` failed: .*\)\. Start the Docker daemon/m,
    ]);
    const info = await new Deno.Command("docker", {
      args: ["info", "--format", "{{.ServerVersion}}"],
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(15_000),
    }).output().catch(() => undefined);
    if (!info?.success || !new TextDecoder().decode(info.stdout).trim()) {
      cases.push([{}, /^error: docker_env projects need a Docker engine, but none answers/m]);
    }
  }
  for (const [env, re] of cases) {
    const started = Date.now();
    const r = await mltRun(dir, [proj], env);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.ok(Date.now() - started < 30_000);
  }
  // A bad docker_env is refused before docker is even asked.
  const fake = await fakeDocker(dir);
  for (
    const [sub, re] of [
      ["bad-image", /docker_env\.image "--privileged" is not an image reference/],
      ["bad-volume", /docker_env\.volumes entry "~\/x:\/x" starts with "~"/],
      ["bad-env", /docker_env\.environment name "A-B" is not a variable name/],
      [
        "host-root",
        /volumes entry "\/:\/host" mounts the host path "\/", which is outside the project.*--allow-docker-volumes/,
      ],
      [
        "host-home",
        /volumes entry "\.\.\/\.\.:\/up:ro" mounts the host path ".*", which is outside/,
      ],
    ] as const
  ) {
    const r = await mltRun(dir, [`${proj}#${sub}`], fake);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, re);
  }
  assert.equal(await exists(join(dir, "docker.calls")), false, "docker was called");
  assert.deepEqual(await runsIn(dir), []);
});

Deno.test("mlt run docker_env --allow-docker-volumes: host paths outside the project are mounted", async () => {
  const { dir, proj } = await project({
    MLproject: "docker_env: {image: alpine, volumes: ['/etc:/host-etc:ro']}\n" +
      "entry_points: {main: {command: echo ran}}\n",
  });
  const fake = await fakeDocker(dir);
  const refused = await mltRun(dir, [proj], fake);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /--allow-docker-volumes/);
  assert.equal(await exists(join(dir, "run.argv")), false);
  const r = await mltRun(dir, [proj, "--allow-docker-volumes"], fake);
  assert.equal(r.code, 0, r.stderr);
  const argv = (await Deno.readTextFile(join(dir, "run.argv"))).split("\0");
  const at = argv.indexOf("/etc:/host-etc:ro");
  assert.ok(at > 0 && argv[at - 1] === "-v", argv.join(" "));
  assert.equal((await runsIn(dir)).length, 1);
});

Deno.test("mlt run docker_env: the image runs with the project, volumes, variables and run", async () => {
  const { dir, proj } = await project({ MLproject: DOCKER_MLPROJECT, "show.sh": SHOW_SH });
  await Deno.mkdir(join(proj, "data"));
  await Deno.writeTextFile(join(proj, "data", "in.txt"), "x\n");
  await Deno.writeTextFile(join(dir, "outside.txt"), "y\n");
  const canary = join(dir, "pwn");
  const a = `0.1; touch ${canary} $(touch ${canary}) \`touch ${canary}\``;
  const env = { ...await fakeDocker(dir), HOST_VAR: "from host", SECRET_NOT_PASSED: "s" };
  const args = [
    proj,
    "-P",
    `a=${a}`,
    "-P",
    "inside=proj/data/in.txt",
    "-P",
    `outside=${dir}/outside.txt`,
  ];
  const r = await mltRun(dir, args, env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await exists(canary), false, "a value was executed");
  const run = await onlyRun(dir);
  const id = run.info.runId;
  assert.equal(run.info.status, "FINISHED");
  assert.deepEqual(paramsOf(run), {
    a,
    n: "3",
    inside: "proj/data/in.txt",
    outside: `${dir}/outside.txt`,
  });
  const tags = tagsOf(run);
  assert.equal(tags["mlflow.project.env"], "docker");
  assert.equal(tags["mlflow.docker.image.uri"], "python:3.12-slim");
  assert.equal(tags["mlflow.docker.image.id"], IMAGE_ID);
  assert.equal(tags["mlt.runner.exitCode"], "0");

  // What the "container" saw: the values as single arguments, only the variables passed.
  const store = `${dir}/mlruns`;
  assert.equal(
    r.stdout,
    [
      `arg=${a}|`,
      "arg=3|",
      "arg=/mlflow/projects/code/data/in.txt|",
      `arg=${dir}/outside.txt|`,
      `pwd=${proj}`,
      "HOST_VAR=from host",
      "MLFLOW_ALLOW_FILE_STORE=true",
      "MLFLOW_EXPERIMENT_ID=0",
      `MLFLOW_RUN_ID=${id}`,
      `MLFLOW_TRACKING_URI=file://${store}`,
      "PAIR=a b",
      "",
    ].join("\n"),
  );

  const argv = await runArgv(dir);
  assert.deepEqual(argv.slice(0, 6), ["run", "--rm", "-i", "--init", "--name", `mlt-${id}`]);
  assert.ok(!argv.includes("-t") && !argv.includes("--network"), argv.join(" "));
  assert.deepEqual(flagValues(argv, "-w"), ["/mlflow/projects/code"]);
  assert.deepEqual(flagValues(argv, "-v"), [
    `${proj}:/mlflow/projects/code`,
    `${dir}/mlruns:${dir}/mlruns`,
    `${dir}/outside.txt:${dir}/outside.txt`,
    `${proj}/data:/data:ro`,
    "named-cache:/cache",
  ]);
  assert.deepEqual(flagValues(argv, "-e"), [
    // A copied host variable goes by name: its value never appears in docker's argv.
    "HOST_VAR",
    "PAIR=a b",
    `MLFLOW_RUN_ID=${id}`,
    "MLFLOW_EXPERIMENT_ID=0",
    `MLFLOW_TRACKING_URI=file://${store}`,
    "MLFLOW_ALLOW_FILE_STORE=true",
  ]);
  const quotedA = `'${a}'`;
  assert.deepEqual(argv.slice(-4), [
    "python:3.12-slim",
    "bash",
    "-c",
    `bash show.sh ${quotedA} 3 /mlflow/projects/code/data/in.txt ${dir}/outside.txt`,
  ]);
  assert.match(r.stderr, /=== docker_env\.environment: ignoring MLFLOW_RUN_ID, which mlt sets/);
  assert.match(r.stderr, /=== docker_env\.environment: UNSET_VAR is not set here/);
  assert.match(r.stderr, /=== Pulling the docker image python:3\.12-slim ===\n.*Pulling from/);
  assert.match(r.stderr, new RegExp(`as container mlt-${id} ===`));
  assert.match(r.stderr, /=== Run \(ID '[0-9a-f]{32}'\) succeeded ===/);

  // The output log works as for other environments.
  const log = await Deno.readTextFile(
    join(new URL(run.info.artifactUri!).pathname, "mlt", "stdout.log"),
  );
  assert.match(log, /^arg=0\.1; touch/);
  assert.match(log, new RegExp(`MLFLOW_RUN_ID=${id}\n`));

  // The image is pulled once; the engine is asked every time.
  const again = await mltRun(dir, args, env);
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /Pulling/);
  const all = await calls(dir);
  assert.equal(all.filter((c) => c.startsWith("pull ")).length, 1, all.join("\n"));
  assert.equal(all.filter((c) => c === "info --format {{.ServerVersion}}").length, 2);
});

Deno.test("mlt run docker_env: exit codes come through; a container killed by a signal is KILLED", async () => {
  const { dir, proj } = await project({ MLproject: DOCKER_MLPROJECT, "show.sh": SHOW_SH });
  const env = await fakeDocker(dir);
  let r = await mltRun(dir, [proj, "-e", "fail"], env);
  assert.equal(r.code, 7, r.stderr);
  let run = await onlyRun(dir);
  assert.equal(run.info.status, "FAILED");
  assert.equal(tagsOf(run)["mlt.runner.exitCode"], "7");
  await Deno.remove(join(dir, "mlruns"), { recursive: true });
  r = await mltRun(dir, [proj, "-e", "killed"], env);
  assert.equal(r.code, 137, r.stderr);
  run = await onlyRun(dir);
  assert.equal(run.info.status, "KILLED");
  assert.equal(tagsOf(run)["mlt.runner.signal"], "SIGKILL");
});

for (const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130]] as const) {
  Deno.test(`mlt run docker_env: ${signal} → docker stop, run KILLED, exit ${code}`, async () => {
    const { dir, proj } = await project({ MLproject: DOCKER_MLPROJECT, "show.sh": SHOW_SH });
    const child = spawnMlt(
      dir,
      [proj, "-e", "sleep", "--grace-period", "1"],
      await fakeDocker(dir),
    );
    const grandchild = Number(await waitFor(join(proj, "grandchild.pid")));
    assert.ok(alive(grandchild));
    child.kill(signal);
    const r = await output(child);
    assert.equal(r.code, code, r.stderr);
    assert.ok(await gone(grandchild), "the container's process survived");
    const run = await onlyRun(dir);
    assert.equal(run.info.status, "KILLED");
    assert.equal(tagsOf(run)["mlt.runner.signal"], signal);
    assert.ok((await calls(dir)).includes(`stop -t 1 mlt-${run.info.runId}`));
    assert.match(r.stderr, new RegExp(`interrupted by ${signal}, cancelling run`));
  });
}

Deno.test("mlt run docker_env with a served store: --network host and the 127.0.0.1 endpoint", async () => {
  const { dir, proj } = await project({
    MLproject: "docker_env: {image: 'ghcr.io/example/trainer:1.0'}\n" +
      "entry_points:\n  main:\n    parameters: {deno: path, config: path}\n" +
      "    command: '{deno} run -A --config {config} log_rest.ts'\n",
    "log_rest.ts": `const uri = Deno.env.get("MLFLOW_TRACKING_URI")!;
const res = await fetch(uri + "/api/2.0/mlflow/runs/log-metric", {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ run_id: Deno.env.get("MLFLOW_RUN_ID"), key: "m", value: 2.5, timestamp: 1, step: 0 }),
});
console.log("uri=" + uri, "status=" + res.status);
`,
  });
  const r = await mltRun(
    dir,
    [proj, "--serve-tracking", "-P", `deno=${Deno.execPath()}`, "-P", `config=${CONFIG}`],
    await fakeDocker(dir),
  );
  assert.equal(r.code, 0, r.stderr);
  const uri = /uri=(http:\/\/127\.0\.0\.1:\d+) status=200/.exec(r.stdout)?.[1];
  assert.ok(uri, r.stdout);
  const run = await onlyRun(dir);
  assert.equal(run.data.metrics.find((m) => m.key === "m")?.value, 2.5);
  const argv = await runArgv(dir);
  assert.deepEqual(flagValues(argv, "--network"), ["host"]);
  assert.ok(flagValues(argv, "-e").includes(`MLFLOW_TRACKING_URI=${uri}`));
  assert.ok(!flagValues(argv, "-e").some((e) => e.startsWith("MLFLOW_ALLOW_FILE_STORE")));
  // The run's local artifact directory is mounted where the client will write it.
  const artifacts = new URL(run.info.artifactUri!).pathname;
  assert.ok(
    flagValues(argv, "-v").some((v) => artifacts.startsWith(v.split(":")[0])),
    flagValues(argv, "-v").join(" "),
  );
  // path parameters outside the project are mounted at their own path.
  assert.ok(flagValues(argv, "-v").includes(`${Deno.execPath()}:${Deno.execPath()}`));
});

Deno.test("mlt run docker_env on a terminal: the container gets -t", async () => {
  const { dir, proj } = await project({
    MLproject:
      "docker_env: {image: alpine}\nentry_points: {main: {command: 'echo in container'}}\n",
  });
  const env = await fakeDocker(dir);
  const cmd = ["exec", Deno.execPath(), "run", "-A", MAIN, "run", proj]
    .map((a) => a === "exec" ? a : `'${a.replaceAll("'", `'"'"'`)}'`).join(" ");
  const r = await output(
    new Deno.Command("script", {
      args: ["-q", "-e", "-c", cmd, "/dev/null"],
      cwd: dir,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1", MLFLOW_TRACKING_URI: "", SHELL: "/bin/sh", ...env },
    }).spawn(),
  );
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, /in container/);
  const argv = await runArgv(dir);
  assert.deepEqual(argv.slice(0, 5), ["run", "--rm", "-i", "-t", "--init"]);
  assert.equal((await onlyRun(dir)).info.status, "FINISHED");
});
