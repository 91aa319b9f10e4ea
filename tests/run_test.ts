/**
 * `mlt run` end to end: real `deno run main.ts run …` processes, real shells, real signals, and the
 * resulting store read back through openStore. No Python needed (see tests/compat/ for that).
 */
import assert from "node:assert/strict";
import { alive, gone } from "./helpers/process.ts";
import { openStore } from "../src/store/open.ts";
import type { Run } from "../src/model.ts";
import {
  exists,
  MAIN,
  mltRun,
  onlyRun,
  output,
  paramsOf,
  project,
  type Result,
  runsIn,
  spawnMlt,
  tagsOf,
  tempDir,
  waitFor,
} from "./helpers/mlt_run.ts";
import { join } from "node:path";

const HELLO = new URL("../examples/hello", import.meta.url).pathname;
const OPEN_TS = new URL("../src/store/open.ts", import.meta.url).href;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;

Deno.test("mlt run examples/hello: child sees the run, params logged, run FINISHED", async () => {
  const dir = await tempDir();
  const r = await mltRun(dir, [HELLO, "-P", "name=big world", "-P", "times=2"]);
  assert.equal(r.code, 0, r.stderr);
  const run = await onlyRun(dir);
  assert.equal(run.info.status, "FINISHED");
  assert.ok(run.info.endTime! >= run.info.startTime!);
  const abs = await Deno.realPath(dir);
  assert.match(
    r.stdout,
    new RegExp(`run ${run.info.runId} in experiment 0, tracking file://${abs}/mlruns\n`),
  );
  assert.match(r.stdout, /Hello, big world! \(2\/2\)/);
  assert.deepEqual(paramsOf(run), {
    name: "big world",
    greeting: "Hello",
    times: "2",
    pause: "0.0",
  });
  const tags = tagsOf(run);
  assert.equal(tags["mlflow.source.type"], "PROJECT");
  assert.equal(tags["mlflow.project.entryPoint"], "main");
  assert.equal(tags["mlflow.project.backend"], "local");
  assert.equal(tags["mlflow.project.env"], "local");
  assert.ok(tags["mlflow.user"]);
  assert.match(tags["mlt.runner.pid"], /^\d+$/);
  assert.equal(tags["mlt.runner.exitCode"], "0");
  assert.equal(tags["mlflow.runName"], run.info.runName);
  assert.match(r.stderr, /=== Running command '\.\/hello\.sh Hello 'big world' 2 0\.0' in run/);
  assert.match(r.stderr, /=== Run \(ID '[0-9a-f]{32}'\) succeeded ===/);
});

Deno.test("mlt run: shell metacharacters in values reach the program literally", async () => {
  const { dir, proj } = await project({
    MLproject: "entry_points:\n  main:\n    parameters: {a: string, b: float}\n" +
      "    command: bash show.sh {a} {b}\n",
    "show.sh": "printf '%s|\\n' \"$@\" > out.txt\n",
  });
  const canary = join(dir, "pwn");
  const a = `0.1; touch ${canary}`;
  const extra = "`touch " + canary + "`\n$(touch " + canary + ")";
  const r = await mltRun(dir, [proj, "-P", `a=${a}`, "-P", "b=2.5", "-P", `c=${extra}`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await exists(canary), false, "a value was executed");
  assert.equal(
    await Deno.readTextFile(join(proj, "out.txt")),
    `${a}|\n2.5|\n--c|\n${extra}|\n`,
  );
  const run = await onlyRun(dir);
  assert.deepEqual(paramsOf(run), { a, b: "2.5", c: extra });
  const bad = await mltRun(dir, [proj, "-P", `a=x`, "-P", `b=0.1; touch ${canary}`]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Parameter "b" must be a float/);
  assert.equal(await exists(canary), false);
});

Deno.test("mlt run: a {param} inside quotes is quoted for its context; backticks refused", async () => {
  const { dir, proj } = await project({
    MLproject: "entry_points:\n" +
      "  main:\n    parameters: {msg: string, who: string}\n" +
      `    command: echo "MSG={msg}" 'WHO={who}' > out.txt\n` +
      "  old:\n    parameters: {msg: string}\n    command: echo `echo {msg}`\n",
  });
  const canary = join(dir, "pwn");
  const msg = `$(touch ${canary})\`touch ${canary}\`"; touch ${canary}; "`;
  const who = `'; touch ${canary}; '`;
  const r = await mltRun(dir, [proj, "-P", `msg=${msg}`, "-P", `who=${who}`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await exists(canary), false, "a value was executed");
  assert.equal(await Deno.readTextFile(join(proj, "out.txt")), `MSG=${msg} WHO=${who}\n`);
  assert.deepEqual(paramsOf(await onlyRun(dir)), { msg, who });
  const bad = await mltRun(dir, [proj, "-e", "old", "-P", `msg=${msg}`]);
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(bad.stderr, /placeholder "\{msg\}" is inside backticks; write \$\(…\) instead/);
  assert.equal(await exists(canary), false);
  assert.equal((await runsIn(dir)).length, 1, "a refused command creates no run");
});

Deno.test("mlt run: bad -P input is a usage error (exit 2) and creates no run", async () => {
  const dir = await tempDir();
  const canary = join(dir, "pwn");
  const cases: [string[], RegExp][] = [
    [[], /No value given for missing parameters: "name"/],
    [["-P", `x;touch ${canary}=1`, "-P", "name=a"], /Invalid parameter name "x;touch/],
    [["-P", "$(id)=1", "-P", "name=a"], /Invalid parameter name/],
    [["-P", "name=a", "-P", "times=abc"], /Parameter "times" must be an int, got "abc"/],
    [["-P", "name=a", "-P", "name=b"], /Repeated parameter: "name"/],
    [["-P", "name"], /Invalid format for -P parameter/],
    [["--experiment-name", "x", "--experiment-id", "1", "-P", "name=a"], /Specify only one/],
    [["--env-manager", "pip", "-P", "name=a"], /Invalid value for --env-manager/],
  ];
  for (const [args, re] of cases) {
    const r = await mltRun(dir, [HELLO, ...args]);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split("\n").filter((l) => l.startsWith("error:")).length, 1);
  }
  assert.equal(await exists(canary), false);
  assert.deepEqual(await runsIn(dir), []);
});

Deno.test("mlt run: a failing entry point gives FAILED and its exit code", async () => {
  const dir = await tempDir();
  const r = await mltRun(dir, [HELLO, "-e", "fail", "-P", "code=7"]);
  assert.equal(r.code, 7);
  const run = await onlyRun(dir);
  assert.equal(run.info.status, "FAILED");
  assert.equal(tagsOf(run)["mlt.runner.exitCode"], "7");
  assert.match(r.stderr, /failed \(exit code 7\)/);
});

Deno.test("mlt run: an entry point killed by SIGKILL gives KILLED and exit 137", async () => {
  const { dir, proj } = await project({
    MLproject: "entry_points:\n  main:\n    command: kill -KILL $$\n",
  });
  const r = await mltRun(dir, [proj]);
  assert.equal(r.code, 137);
  const run = await onlyRun(dir);
  assert.equal(run.info.status, "KILLED");
  assert.equal(tagsOf(run)["mlt.runner.signal"], "SIGKILL");
});

for (const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130]] as const) {
  Deno.test(`mlt run: ${signal} kills the entry point's whole group, run KILLED, exit ${code}`, async () => {
    const { dir, proj } = await project({
      MLproject:
        "entry_points:\n  main:\n    command: 'sleep 300 & echo $! > grandchild.pid; wait'\n",
    });
    const child = spawnMlt(dir, [proj]);
    const grandchild = Number(await waitFor(join(proj, "grandchild.pid")));
    assert.ok(alive(grandchild));
    child.kill(signal);
    const out = await child.output();
    assert.equal(out.code, code, new TextDecoder().decode(out.stderr));
    assert.ok(await gone(grandchild), "grandchild survived");
    const run = await onlyRun(dir);
    assert.equal(run.info.status, "KILLED");
    assert.equal(tagsOf(run)["mlt.runner.signal"], signal);
  });
}

Deno.test("mlt run: a child that ignores SIGTERM is SIGKILLed after the grace period", async () => {
  const { dir, proj } = await project({
    MLproject: "entry_points:\n  main:\n    command: \"trap '' TERM; echo $$ > child.pid; " +
      'while true; do sleep 0.05; done"\n',
  });
  const child = spawnMlt(dir, [proj, "--grace-period", "0.5"]);
  const pid = Number(await waitFor(join(proj, "child.pid")));
  child.kill("SIGTERM");
  const out = await child.output();
  assert.equal(out.code, 143);
  assert.ok(await gone(pid), "the entry point survived");
  assert.equal((await onlyRun(dir)).info.status, "KILLED");
});

Deno.test("mlt run: system metrics of the entry point, unless --no-system-metrics", async () => {
  const { dir, proj } = await project({
    // A second of samples every 0.1 s: room for a loaded machine to take at least one.
    MLproject: "entry_points:\n  main:\n    command: 'echo $$ > child.pid; sleep 1'\n",
  });
  let r = await mltRun(dir, [proj, "--system-metrics-interval", "0.1"]);
  assert.equal(r.code, 0, r.stderr);
  const store = openStore(join(dir, "mlruns"));
  try {
    const [run] = await runsIn(dir);
    const history = async (key: string) =>
      (await store.getMetricHistory(run.info.runId, `system/${key}`)).items;
    // MLflow's name holds the machine's memory in use; the process tree's is mlt's own name.
    const mem = await history("system_memory_usage_megabytes");
    const own = await history("process_memory_usage_megabytes");
    assert.ok(mem.length >= 1 && own.length >= 1, "no memory samples");
    assert.ok(own.every((m) => m.value > 0));
    assert.ok(
      mem[0].value > own[0].value,
      `machine ${mem[0].value} MB ≤ process ${own[0].value} MB`,
    );
    assert.ok((await history("system_memory_usage_percentage"))[0].value <= 100);
    await Deno.remove(join(dir, "mlruns"), { recursive: true });
    r = await mltRun(dir, [proj, "--system-metrics-interval", "0.1", "--no-system-metrics"]);
    assert.equal(r.code, 0, r.stderr);
    const [quiet] = await runsIn(dir);
    assert.deepEqual(quiet.data.metrics, []);
  } finally {
    await store.close();
  }
});

Deno.test("mlt run: a run the entry point ended itself keeps its status", async () => {
  const { dir, proj } = await project({
    MLproject: "entry_points:\n  main:\n    parameters: {deno: path, config: path}\n" +
      "    command: '{deno} run -A --config {config} end_run.ts && exit 1'\n",
    "end_run.ts": `import { openStore } from ${JSON.stringify(OPEN_TS)};
const store = openStore(Deno.env.get("MLFLOW_TRACKING_URI"));
await store.updateRun({ runId: Deno.env.get("MLFLOW_RUN_ID")!, status: "FINISHED", endTime: Date.now() });
await store.close();
`,
  });
  const r = await mltRun(dir, [proj, "-P", `deno=${Deno.execPath()}`, "-P", `config=${CONFIG}`]);
  assert.equal(r.code, 1, r.stderr);
  const run = await onlyRun(dir);
  assert.equal(run.info.status, "FINISHED");
  assert.equal(tagsOf(run)["mlt.runner.exitCode"], "1");
});

Deno.test("mlt run: experiments by flag and by MLFLOW_EXPERIMENT_NAME, run names", async () => {
  const dir = await tempDir();
  let r = await mltRun(dir, [
    HELLO,
    "-P",
    "name=a",
    "--experiment-name",
    "exp one",
    "--run-name",
    "first",
  ]);
  assert.equal(r.code, 0, r.stderr);
  r = await mltRun(dir, [HELLO, "-P", "name=b"], { MLFLOW_EXPERIMENT_NAME: "exp one" });
  assert.equal(r.code, 0, r.stderr);
  const runs = await runsIn(dir);
  assert.equal(runs.length, 2);
  assert.equal(runs[0].info.experimentId, runs[1].info.experimentId);
  assert.notEqual(runs[0].info.experimentId, "0");
  assert.ok(runs.some((x) => x.info.runName === "first"));
  r = await mltRun(dir, [HELLO, "-P", "name=c", "--experiment-id", "424242"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^error: .*424242/m);
  assert.equal((await runsIn(dir)).length, 2);
});

Deno.test("mlt run --run-id resumes a run without logging params again", async () => {
  const dir = await tempDir();
  let r = await mltRun(dir, [HELLO, "-e", "fail", "-P", "code=1"]);
  assert.equal(r.code, 1);
  const first = await onlyRun(dir);
  r = await mltRun(dir, [HELLO, "--run-id", first.info.runId, "-P", "name=again"]);
  assert.equal(r.code, 0, r.stderr);
  const run = await onlyRun(dir);
  assert.equal(run.info.status, "FINISHED");
  assert.deepEqual(paramsOf(run), { code: "1" });
});

Deno.test("mlt run: .py/.sh entry points and directories without an MLproject", async () => {
  const { dir, proj } = await project({ "job.sh": 'echo "sh got $*"\n' });
  const r = await mltRun(dir, [proj, "-e", "job.sh", "-P", "lr=0.5", "-P", "msg=a b"], {
    SHELL: "/bin/sh",
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /sh got --lr 0\.5 --msg a b/);
  const run = await onlyRun(dir);
  assert.equal(tagsOf(run)["mlflow.project.entryPoint"], "job.sh");
  assert.deepEqual(paramsOf(run), { lr: "0.5", msg: "a b" });
  const missing = await mltRun(dir, [proj, "-e", "nope.py"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /entry point file "nope\.py"/);
  const none = await mltRun(dir, [proj]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /Cannot find entry point "main"/);
});

Deno.test("mlt run: env files and subdirectories may not leave the project", async () => {
  const { dir, proj } = await project({
    "a/MLproject": "python_env: ../../secret.yaml\nentry_points: {main: {command: echo hi}}\n",
    "b/MLproject": "conda_env: link.yaml\nentry_points: {main: {command: echo hi}}\n",
    "c/MLproject": "entry_points: {main: {command: echo hi}}\n",
  });
  await Deno.writeTextFile(join(dir, "secret.yaml"), "python: '3.11'\n");
  await Deno.symlink(join(dir, "secret.yaml"), join(proj, "b", "link.yaml"));
  const cases: [string, RegExp, number][] = [
    [`${proj}#a`, /field "python_env" "\.\.\/\.\.\/secret\.yaml" points outside the project/, 1],
    [`${proj}#b`, /conda_env file "link\.yaml", which points outside the project/, 1],
    [`${proj}#c/../..`, /points outside the project/, 2],
    [`${proj}#/etc`, /must be relative/, 2],
  ];
  for (const [uri, re, code] of cases) {
    const r = await mltRun(dir, [uri, "--env-manager", "local"]);
    assert.equal(r.code, code, `${uri}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  assert.deepEqual(await runsIn(dir), []);
  const ok = await mltRun(dir, [`${proj}#c`]);
  assert.equal(ok.code, 0, ok.stderr);
});

Deno.test("mlt run: a FIFO as an environment or requirements file is refused, not read", async () => {
  const { dir, proj } = await project({
    "py/MLproject": "entry_points: {main: {command: echo hi}}\n",
    "conda/MLproject": "conda_env: env.yaml\nentry_points: {main: {command: echo hi}}\n",
    "req/MLproject": "entry_points: {main: {command: echo hi}}\n",
    "req/python_env.yaml": "dependencies:\n  - -r req.txt\n",
  });
  for (const f of ["py/python_env.yaml", "conda/env.yaml", "req/req.txt"]) {
    const out = await new Deno.Command("mkfifo", { args: [join(proj, f)] }).output();
    assert.equal(out.code, 0, "mkfifo");
  }
  const cases: [string, RegExp][] = [
    ["py", /python_env file ".*python_env\.yaml": it is not a regular file/],
    ["conda", /conda_env file ".*env\.yaml": it is not a regular file/],
    ["req", /requirements file ".*req\.txt": it is not a regular file/],
  ];
  for (const [sub, re] of cases) {
    const child = spawnMlt(dir, [`${proj}#${sub}`]);
    // Reading a FIFO nobody writes blocks forever: a hang fails the test instead of stalling it.
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    const r = await output(child);
    clearTimeout(timer);
    assert.equal(r.code, 1, `${sub}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  assert.deepEqual(await runsIn(dir), []);
});

async function sh(cwd: string, script: string): Promise<void> {
  const out = await new Deno.Command("bash", {
    args: ["-ec", script],
    cwd,
    stdout: "null",
    stderr: "piped",
  })
    .output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
}

Deno.test("mlt run: local bare git repos with #subdir and --version; checkout removed", async () => {
  const dir = await tempDir();
  await sh(
    dir,
    `
    export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t
    git init -q -b main work && cd work
    mkdir sub && printf 'entry_points:\\n  main:\\n    command: echo "v=1 pwd=$PWD"\\n' > sub/MLproject
    git add . && git commit -qm one && git tag v1
    printf 'entry_points:\\n  main:\\n    command: echo "v=2 pwd=$PWD"\\n' > sub/MLproject
    git commit -qam two && cd .. && git clone -q --bare work repo.git`,
  );
  const repo = join(dir, "repo.git");
  let r = await mltRun(dir, [`${repo}#sub`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /v=2 pwd=.*mlt-project-/);
  const checkout = /pwd=(\S+)/.exec(r.stdout)![1];
  assert.equal(await exists(checkout), false, "temporary checkout left behind");
  r = await mltRun(dir, [`file://${repo}#sub`, "--version", "v1"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /v=1/);
  const runs = await runsIn(dir);
  const tagged = runs.map(tagsOf).find((t) => t["mlflow.source.name"] === `file://${repo}#sub`)!;
  assert.match(tagged["mlflow.source.git.commit"], /^[0-9a-f]{40}$/);
  r = await mltRun(dir, [`${repo}#sub`, "--version", "no-such-tag"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Cannot fetch version "no-such-tag"/);
});

Deno.test("mlt run: dangerous git URIs and versions are refused before git runs", async () => {
  const dir = await tempDir();
  const canary = join(dir, "pwn");
  const cases: [string[], RegExp][] = [
    [[`ext::sh -c touch% ${canary}`], /git transports like "ext::" are not allowed/],
    [["--", "-oProxyCommand=touch%20/tmp/x"], /must not start with "-"/],
    [[HELLO, "--version", "--upload-pack=touch /tmp/x"], /Invalid --version/],
  ];
  for (const [args, re] of cases) {
    const r = await mltRun(dir, args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  assert.equal(await exists(canary), false);
});

Deno.test("mlt run: an unreachable git host fails without prompting", async () => {
  const dir = await tempDir();
  // Port 9 on localhost: connection refused at once; no credential prompt (stdin is closed too).
  const r = await mltRun(dir, ["https://127.0.0.1:9/x/y.git"]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /^error: Cannot fetch git repository "https:\/\/127\.0\.0\.1:9\/x\/y\.git"/m,
  );
  assert.deepEqual(await runsIn(dir), []);
});

/** The run's artifact directory (a file store's runs have file:// artifact URIs). */
function artifactDir(run: Run): string {
  return new URL(run.info.artifactUri!).pathname;
}

Deno.test("mlt run saves the entry point's output as mlt/stdout.log, cleaned", async () => {
  const { dir, proj } = await project({
    MLproject: "entry_points:\n  main:\n    command: bash out.sh\n",
    "out.sh": "echo 'to stdout'\necho 'to stderr' >&2\n" +
      "printf ' 10%%|#  |\\r 50%%|##  |\\r100%%|####|\\n' >&2\n" +
      "printf '\\033[32mgreen\\033[0m text\\n'\n",
  });
  const r = await mltRun(dir, [proj]);
  assert.equal(r.code, 0, r.stderr);
  // The terminal gets the output untouched.
  assert.ok(r.stdout.includes("to stdout\n\x1b[32mgreen\x1b[0m text\n"), r.stdout);
  assert.match(r.stderr, /to stderr\n 10%\|# {2}\|\r 50%/);
  const run = await onlyRun(dir);
  const log = await Deno.readTextFile(join(artifactDir(run), "mlt", "stdout.log"));
  assert.deepEqual(log.split("\n").sort(), [
    "",
    "100%|####|",
    "green text",
    "to stderr",
    "to stdout",
  ]);
  const quiet = await mltRun(dir, [proj, "--no-save-output"]);
  assert.equal(quiet.code, 0, quiet.stderr);
  const runs = await runsIn(dir);
  const other = runs.find((x) => x.info.runId !== run.info.runId)!;
  assert.equal(await exists(join(artifactDir(other), "mlt")), false);
});

/** `mlt run …` on a pseudo-terminal made by util-linux `script`, as a user at a terminal. */
Deno.test("mlt run never writes its output log into another run's metadata", async () => {
  const { dir, proj } = await project({ MLproject: "entry_points: {main: {command: echo hi}}\n" });
  const store = openStore(join(dir, "mlruns"));
  const victim = (await store.createRun({})).info.runId;
  await store.logParam(victim, { key: "p", value: "v" });
  const exp = await store.createExperiment("evil");
  await store.close();
  // A location stored by hand (or by a version of mlt before the check).
  const meta = join(dir, "mlruns", exp, "meta.yaml");
  const params = join(dir, "mlruns", "0", victim, "params");
  await Deno.writeTextFile(
    meta,
    (await Deno.readTextFile(meta)).replace(
      /^artifact_location: .*$/m,
      `artifact_location: ${params}`,
    ),
  );
  const r = await mltRun(dir, [proj, "--experiment-id", exp]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /=== Not saving mlt\/stdout\.log: the run's artifact location .*metadata/);
  const left = [];
  for await (const e of Deno.readDir(params)) left.push(e.name);
  assert.deepEqual(left, ["p"], "nothing was written among the victim's params");
});

function spawnMltOnTty(cwd: string, args: string[]) {
  const cmd = ["exec", Deno.execPath(), "run", "-A", MAIN, "run", ...args]
    .map((a) => a === "exec" ? a : `'${a.replaceAll("'", `'"'"'`)}'`).join(" ");
  return new Deno.Command("script", {
    args: ["-q", "-e", "-c", cmd, "/dev/null"],
    cwd,
    // A pipe that stays open: with /dev/null, script would type an EOF into the terminal.
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", MLFLOW_TRACKING_URI: "", SHELL: "/bin/sh" },
  }).spawn();
}

async function ttyOutput(child: Deno.ChildProcess): Promise<Result> {
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("mlt run on a terminal: the entry point keeps a terminal and the log is saved", async () => {
  const { dir, proj } = await project({
    MLproject: "entry_points:\n  main:\n    command: bash tty.sh\n",
    "tty.sh": "if [ -t 0 ] && [ -t 1 ] && [ -t 2 ]; then echo 'child tty: yes'; " +
      "else echo 'child tty: no'; fi\nprintf '10%%\\r100%%\\n' >&2\nexit 3\n",
  });
  const r = await ttyOutput(spawnMltOnTty(dir, [proj]));
  assert.equal(r.code, 3, r.stdout);
  assert.match(r.stdout, /child tty: yes/);
  assert.match(r.stdout, /10%\r100%/);
  const run = await onlyRun(dir);
  assert.equal(run.info.status, "FAILED");
  assert.equal(tagsOf(run)["mlt.runner.exitCode"], "3");
  const log = await Deno.readTextFile(join(artifactDir(run), "mlt", "stdout.log"));
  assert.equal(log, "child tty: yes\n100%\n");
});

Deno.test("mlt run on a terminal: SIGTERM kills the entry point's whole group", async () => {
  const { dir, proj } = await project({
    MLproject:
      "entry_points:\n  main:\n    command: 'sleep 300 & echo $! > grandchild.pid; wait'\n",
  });
  const outer = spawnMltOnTty(dir, [proj]);
  const grandchild = Number(await waitFor(join(proj, "grandchild.pid")));
  assert.ok(alive(grandchild));
  // script → (exec) mlt: mlt is the only child of the outer script.
  const mlt = Number(Deno.readTextFileSync(`/proc/${outer.pid}/task/${outer.pid}/children`));
  Deno.kill(mlt, "SIGTERM");
  const r = await ttyOutput(outer);
  assert.equal(r.code, 143, r.stdout);
  assert.ok(await gone(grandchild), "grandchild survived");
  // mlt signals the entry point's group itself: script never got the signal (it would print
  // "Session terminated" and wait two seconds before killing its child).
  assert.doesNotMatch(r.stdout, /Session terminated/);
  const run = await onlyRun(dir);
  assert.equal(run.info.status, "KILLED");
  assert.equal(tagsOf(run)["mlt.runner.signal"], "SIGTERM");
});

Deno.test("mlt run on a terminal: Ctrl-C reaches the entry point; the rest of its group stops", async () => {
  const { dir, proj } = await project({
    MLproject:
      "entry_points:\n  main:\n    command: 'sleep 300 & echo $! > grandchild.pid; wait'\n",
  });
  const outer = spawnMltOnTty(dir, [proj]);
  const grandchild = Number(await waitFor(join(proj, "grandchild.pid")));
  // The user types Ctrl-C: the byte goes through mlt's terminal into the entry point's pty.
  const keys = outer.stdin.getWriter();
  await keys.write(new Uint8Array([3]));
  const r = await ttyOutput(outer);
  assert.equal(r.code, 130, r.stdout);
  assert.match(r.stdout, /killed by SIGINT/);
  // A background job ignores SIGINT; mlt stops it as it would on an interrupt of its own.
  assert.ok(await gone(grandchild), "grandchild survived");
  const run = await onlyRun(dir);
  assert.equal(run.info.status, "KILLED");
  assert.equal(tagsOf(run)["mlt.runner.signal"], "SIGINT");
});

Deno.test("mlt run --serve-tracking: the child logs over HTTP to an endpoint that then stops", async () => {
  const { dir, proj } = await project({
    MLproject: "entry_points:\n  main:\n    parameters: {deno: path, config: path}\n" +
      "    command: '{deno} run -A --config {config} log_rest.ts'\n",
    "log_rest.ts": `const uri = Deno.env.get("MLFLOW_TRACKING_URI")!;
console.log("uri=" + uri, "allow=" + Deno.env.get("MLFLOW_ALLOW_FILE_STORE"));
const res = await fetch(uri + "/api/2.0/mlflow/runs/log-metric", {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ run_id: Deno.env.get("MLFLOW_RUN_ID"), key: "m", value: 2.5, timestamp: 1, step: 0 }),
});
console.log("status=" + res.status, await res.text());
`,
  });
  const args = [proj, "-P", `deno=${Deno.execPath()}`, "-P", `config=${CONFIG}`];
  for (const [extra, env] of [[["--serve-tracking"], {}], [[], { MLT_RUN_SERVE_TRACKING: "1" }]]) {
    await Deno.remove(join(dir, "mlruns"), { recursive: true }).catch(() => {});
    const r = await mltRun(dir, [...args, ...extra as string[]], env as Record<string, string>);
    assert.equal(r.code, 0, r.stderr);
    const uri = /uri=(http:\/\/127\.0\.0\.1:\d+) allow=undefined/.exec(r.stdout)?.[1];
    assert.ok(uri, r.stdout);
    assert.match(r.stdout, /status=200/);
    assert.match(
      r.stderr,
      /Serving the tracking store to the entry point at http:\/\/127\.0\.0\.1:/,
    );
    const run = await onlyRun(dir);
    assert.equal(run.data.metrics.find((m) => m.key === "m")?.value, 2.5);
    assert.equal(run.info.status, "FINISHED");
  }
});

/** PATH without the directories that hold any of `names`. */
function pathWithout(names: string[]): string {
  return (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":").filter((d) =>
    !names.some((n) => {
      try {
        Deno.statSync(join(d, n));
        return true;
      } catch {
        return false;
      }
    })
  ).join(":");
}

Deno.test("mlt run: environments it cannot make are clear errors before any run", async () => {
  const { dir, proj } = await project({
    "conda/MLproject": "entry_points: {main: {command: echo hi}}\n",
    "conda/conda.yaml": "name: x\ndependencies: [python=3.11]\n",
    "old/MLproject": "entry_points: {main: {command: echo hi}}\n",
    "old/python_env.yaml": "python: '2.1'\n",
    "bad/MLproject": "python_env: env.yaml\nentry_points: {main: {command: echo hi}}\n",
    "bad/env.yaml": "python: '3'\ndependancies: [numpy]\n",
    "escape/MLproject": "entry_points: {main: {command: echo hi}}\n",
    "escape/python_env.yaml": "dependencies: ['-r ../../secret.txt']\n",
  });
  await Deno.writeTextFile(join(dir, "secret.txt"), "numpy\n");
  const env = {
    PATH: pathWithout(["uv", "conda", "mamba", "micromamba"]),
    MLT_ENV_ROOT: join(dir, "envs"),
  };
  const cases: [string[], RegExp][] = [
    [[`${proj}#conda`], /none of conda, mamba or micromamba is on PATH/],
    [[`${proj}#old`, "--env-manager", "uv"], /--env-manager uv needs `uv` on PATH/],
    [[`${proj}#old`], /python_env.yaml asks for Python 2\.1, but python3 is 3\.\d+\.\d+/],
    [[`${proj}#bad`], /Cannot parse python_env file ".*env\.yaml": unknown field "dependancies"/],
    [[`${proj}#escape`], /requirements file "\.\.\/\.\.\/secret\.txt", which points outside/],
  ];
  for (const [args, re] of cases) {
    const r = await mltRun(dir, args, env);
    assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  assert.deepEqual(await runsIn(dir), []);
  const local = await mltRun(dir, [`${proj}#conda`, "--env-manager", "local"], env);
  assert.equal(local.code, 0, local.stderr);
});

/** Writes a minimal pure-Python wheel (pip installs it offline). */
async function writeWheel(path: string, module: string, source: string): Promise<void> {
  const py = `
import base64, hashlib, sys, zipfile
path, mod, src = sys.argv[1:4]
files = {mod + ".py": src,
  mod + "-0.1.dist-info/METADATA": "Metadata-Version: 2.1\\nName: " + mod + "\\nVersion: 0.1\\n",
  mod + "-0.1.dist-info/WHEEL": "Wheel-Version: 1.0\\nGenerator: mlt-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"}
rec = []
with zipfile.ZipFile(path, "w") as z:
    for n, t in files.items():
        z.writestr(n, t)
        d = base64.urlsafe_b64encode(hashlib.sha256(t.encode()).digest()).rstrip(b"=").decode()
        rec.append(n + ",sha256=" + d + "," + str(len(t.encode())))
    rec.append(mod + "-0.1.dist-info/RECORD,,")
    z.writestr(mod + "-0.1.dist-info/RECORD", "\\n".join(rec) + "\\n")
`;
  const out = await new Deno.Command("python3", {
    args: ["-c", py, path, module, source],
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
}

Deno.test("mlt run: python_env.yaml gets a cached virtualenv with its dependencies", async () => {
  const version = new TextDecoder().decode(
    (await new Deno.Command("python3", {
      args: ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
      stdout: "piped",
    }).output()).stdout,
  ).trim();
  const { dir, proj } = await project({
    MLproject: "entry_points:\n  main:\n    command: python show.py\n" +
      "  broken:\n    command: echo never\n",
    "python_env.yaml": `python: "${version}"\nbuild_dependencies: [pip]\n` +
      `dependencies: ["-r requirements.txt"]\n`,
    "requirements.txt": "./dist/tinypkg-0.1-py3-none-any.whl\n",
    "show.py": "import os, sys, tinypkg\n" +
      "print('prefix=' + sys.prefix, 'venv=' + os.environ['VIRTUAL_ENV'], 'value=' + tinypkg.VALUE)\n",
  });
  await Deno.mkdir(join(proj, "dist"));
  await writeWheel(join(proj, "dist", "tinypkg-0.1-py3-none-any.whl"), "tinypkg", "VALUE = 'ok'\n");
  const envRoot = join(dir, "envs");
  const env = { MLT_ENV_ROOT: envRoot, PATH: pathWithout(["uv"]) };
  let r = await mltRun(dir, [proj], env);
  assert.equal(r.code, 0, r.stderr);
  const venv = /prefix=(\S+) venv=(\S+) value=ok/.exec(r.stdout);
  assert.ok(venv, r.stdout);
  assert.equal(venv[1], venv[2]);
  assert.ok(venv[1].startsWith(envRoot + "/virtualenv-"), venv[1]);
  assert.match(r.stderr, /=== Creating a virtualenv with Python \d/);
  assert.match(r.stderr, /=== Installing dependencies from python_env\.yaml: -r \//);
  r = await mltRun(dir, [proj], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /=== Using the cached virtualenv /);
  assert.doesNotMatch(r.stderr, /Creating/);
  const runs = await runsIn(dir);
  assert.deepEqual(runs.map((x) => tagsOf(x)["mlflow.project.env"]), ["virtualenv", "virtualenv"]);
  // --env-manager local skips the environment.
  r = await mltRun(dir, [proj, "-e", "broken", "--env-manager", "local"], env);
  assert.equal(r.code, 0, r.stderr);
  // A dependency pip cannot install: no environment left behind, no run.
  await Deno.writeTextFile(join(proj, "requirements.txt"), "./dist/missing-0.1-py3-none-any.whl\n");
  const before = [...Deno.readDirSync(envRoot)].map((e) => e.name).sort();
  r = await mltRun(dir, [proj], env);
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stderr,
    /^error: Cannot create the environment: `.* -m pip install -r .*` exited with 1/m,
  );
  const after = [...Deno.readDirSync(envRoot)].filter((e) => e.isDirectory).map((e) => e.name);
  assert.deepEqual(after, before.filter((n) => !n.endsWith(".lock")));
  assert.equal((await runsIn(dir)).length, 3);
});

Deno.test("mlt run: conda_env runs through `conda run` in a cached prefix", async () => {
  const { dir, proj } = await project({
    MLproject:
      "conda_env: env.yaml\nentry_points: {main: {command: 'echo prefix=$CONDA_PREFIX'}}\n",
    "env.yaml": "name: x\ndependencies: [python=3.11]\n",
  });
  // A stand-in for conda that records its calls: `env create -p P -f F` and `run … -p P cmd…`.
  const bin = join(dir, "bin");
  await Deno.mkdir(bin);
  await Deno.writeTextFile(
    join(bin, "conda"),
    `#!/bin/bash
echo "$*" >> "${dir}/conda.calls"
if [ "$1 $2" = "env create" ]; then mkdir -p "$4" && cp "$6" "$4/env.yaml"; exit 0; fi
if [ "$1 $2" = "run --no-capture-output" ]; then export CONDA_PREFIX="$4"; shift 4; exec "$@"; fi
exit 9
`,
    { mode: 0o755 },
  );
  const env = { MLT_ENV_ROOT: join(dir, "envs"), PATH: `${bin}:${Deno.env.get("PATH")}` };
  for (const _ of [1, 2]) {
    const r = await mltRun(dir, [proj], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`prefix=${dir}/envs/conda-[0-9a-f]{24}\n`));
  }
  const calls = (await Deno.readTextFile(join(dir, "conda.calls"))).trim().split("\n");
  assert.equal(calls.length, 3, calls.join("\n"));
  assert.match(calls[0], /^env create -p \S+\/envs\/conda-\S+ -f \S+\/env\.yaml$/);
  assert.match(calls[1], /^run --no-capture-output -p \S+ bash -c echo prefix=\$CONDA_PREFIX$/);
  const runs = await runsIn(dir);
  assert.deepEqual(runs.map((x) => tagsOf(x)["mlflow.project.env"]), ["conda", "conda"]);
});
