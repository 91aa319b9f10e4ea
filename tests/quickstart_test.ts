/**
 * The README's install and quickstart, followed literally in a clean HOME: the shell lines of the
 * `sh` blocks under "## Install" and "## Quickstart" are read from README.md (so this test breaks
 * when the README drifts) and run one by one, each through bash, in the order written. Four kinds
 * of line cannot run as written in a test and are stood in for, each named below; every other
 * line runs as is and must exit 0.
 *
 * - `npm install -g deno@X`: not run; X must be the Deno running this test.
 * - `git clone … mlt && cd mlt`: this checkout's files (tracked and new, not ignored) are copied
 *   into `$HOME/mlt` instead, so the test sees uncommitted edits too.
 * - `python3 -m venv .venv && . .venv/bin/activate` and `pip install …`: downloading mlflow in a
 *   test is too slow, so the venv of `MLT_PYTHON` (mlflow 3.17.2, tqdm) is put first on PATH, as
 *   activating it would; the packages the README installs must import there.
 * - `mlt ui`: started with `MLFLOW_PORT=0` (a free port, since tests run in parallel), its
 *   address read from its output, the run pages fetched, then stopped with SIGTERM.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import denoJson from "../deno.json" with { type: "json" };
import { pythonPath } from "./compat/python.ts";
import { openStore } from "../src/store/open.ts";
import { runProcess } from "./helpers/process.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** The shell lines of the `sh` blocks under `## <heading>` (to the next `## `), comments dropped. */
function shellLines(markdown: string, heading: string): string[] {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `README.md has no "## ${heading}" section`);
  const end = markdown.indexOf("\n## ", start + 1);
  const section = markdown.slice(start, end < 0 ? undefined : end);
  const lines: string[] = [];
  for (const block of section.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const raw of block[1].split("\n")) {
      const line = raw.replace(/\s+#\s.*$/, "").trim();
      if (line && !line.startsWith("#")) lines.push(line);
    }
  }
  return lines;
}

// This checkout's files as a fresh clone would have them (plus new, not yet committed ones).
async function copyCheckout(to: string): Promise<void> {
  const r = await runProcess("git", ["ls-files", "-co", "--exclude-standard", "-z"], { cwd: ROOT });
  assert.equal(r.code, 0, r.stderr);
  for (const path of r.stdout.split("\0").filter(Boolean)) {
    try {
      if (!(await Deno.lstat(join(ROOT, path))).isFile) continue;
    } catch {
      continue; // deleted in the working tree
    }
    await Deno.mkdir(dirname(join(to, path)), { recursive: true });
    await Deno.copyFile(join(ROOT, path), join(to, path));
  }
}

// The store a command in `dir` used by default: MLflow 3's ./mlflow.db when it exists, else ./mlruns.
async function storeIn(dir: string) {
  try {
    await Deno.stat(join(dir, "mlflow.db"));
    return openStore(`sqlite:///${join(dir, "mlflow.db")}`);
  } catch {
    return openStore(join(dir, "mlruns"));
  }
}

interface Ran {
  line: string;
  stdout: string;
  stderr: string;
}

Deno.test("the README's install and quickstart work as written, in a clean HOME", async () => {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const lines = [...shellLines(readme, "Install"), ...shellLines(readme, "Quickstart")];
  for (
    const expected of [
      /^deno task install$/,
      /^export PATH="\$HOME\/\.deno\/bin:\$PATH"$/,
      /^mlt run examples\/hello\b/,
      /^mlt runs list$/,
      /^mlt ui$/,
      /^mlt run examples\/projects-and-tracking$/,
    ]
  ) assert.ok(lines.some((l) => expected.test(l)), `the README no longer says ${expected}`);

  const home = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-quickstart-home-" }));
  // The user's environment, minus what would change the outcome: another HOME, an mlt already on
  // PATH, MLflow and mlt settings. Telemetry off, as in every test that runs mlflow.
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) {
    if (!/^(MLFLOW_|MLT_)/.test(k)) env[k] = v;
  }
  env.HOME = home;
  env.PATH = (env.PATH ?? "").split(":").filter((p) => !p.endsWith("/.deno/bin")).join(":");
  Object.assign(env, { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" });
  Object.assign(env, { MLFLOW_DISABLE_TELEMETRY: "true", DO_NOT_TRACK: "true" });
  let cwd = home;
  const ran: Ran[] = [];
  const uiChecks: string[] = [];
  const python = pythonPath();
  try {
    for (const line of lines) {
      let m: RegExpMatchArray | null;
      if ((m = line.match(/^npm install -g deno@(\S+)$/))) {
        assert.equal(
          m[1],
          Deno.version.deno,
          "the README installs another Deno than the tests use",
        );
      } else if (/^git clone \S.* mlt && cd mlt$/.test(line)) {
        cwd = join(home, "mlt");
        await copyCheckout(cwd);
      } else if (line === "python3 -m venv .venv && . .venv/bin/activate") {
        env.PATH = `${dirname(python)}:${env.PATH}`;
        env.VIRTUAL_ENV = dirname(dirname(python));
      } else if ((m = line.match(/^pip install (.+)$/))) {
        const modules = m[1].split(/\s+/).map((p) => p.replace(/-skinny$/, "").replace(/-/g, "_"));
        const r = await runProcess("bash", ["-c", `python -c 'import ${modules.join(", ")}'`], {
          cwd,
          env,
        });
        assert.equal(r.code, 0, `${line}: ${r.stderr}`);
      } else if (line === "mlt ui") {
        uiChecks.push(await checkUi(cwd, env));
      } else {
        const r = await runProcess("bash", ["-c", line], { cwd, env });
        assert.equal(r.code, 0, `\`${line}\` exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
        ran.push({ line, ...r });
        if (line.startsWith("export ")) Object.assign(env, await exported(line, env));
      }
    }
    const out = (re: RegExp) => ran.find((r) => re.test(r.line))!;
    assert.equal(out(/^mlt --version$/).stdout.trim(), denoJson.version);
    // The installed command is the one that ran: it lives in the clean HOME.
    assert.ok(await Deno.stat(join(home, ".deno", "bin", "mlt")));
    const hello = out(/^mlt run examples\/hello\b/);
    assert.match(hello.stdout, /Hello, world!/);
    const store = await storeIn(cwd);
    try {
      const runs = (await store.searchRuns({ experimentIds: ["0"], maxResults: 10 })).items;
      const ids = runs.map((r) => r.info.runId);
      assert.equal(runs.length, 2, `runs in the store: ${ids}`);
      for (const r of runs) assert.equal(r.info.status, "FINISHED", r.info.runId);
      const [classic, first] = runs; // newest first
      assert.match(hello.stderr, new RegExp(`Run ${first.info.runId} FINISHED`));
      assert.match(out(/^mlt runs list$/).stdout, new RegExp(`${first.info.runId} .* FINISHED`));
      // The classic workflow: track.py logged into the run mlt made.
      assert.deepEqual(classic.data.params.find((p) => p.key === "test_param")?.value, "100");
      const history = await store.getMetricHistory(classic.info.runId, "test_metric");
      assert.equal(history.items.length, 10);
      // Each `mlt ui` showed the runs made before it.
      assert.deepEqual(uiChecks, [first.info.runId, classic.info.runId]);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }

  // `mlt ui` as the README runs it: its page of the newest run answers 200 and names the run.
  async function checkUi(dir: string, env: Record<string, string>): Promise<string> {
    const child = new Deno.Command("bash", {
      args: ["-c", "exec mlt ui"],
      cwd: dir,
      env: { ...env, MLFLOW_PORT: "0" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    try {
      let text = "";
      while (!/http:\/\/\S+.*\n/.test(text)) {
        const { done, value } = await reader.read();
        if (done) break;
        text += value;
      }
      const url = /http:\/\/[^\s/]+/.exec(text)?.[0];
      assert.ok(url, `mlt ui printed no address: ${text}`);
      const home = await fetch(url);
      assert.equal(home.status, 200);
      await home.body?.cancel();
      const list = await fetch(`${url}/experiments/0`);
      assert.equal(list.status, 200);
      const html = await list.text();
      const id = /\/experiments\/0\/runs\/([0-9a-f]{32})/.exec(html)?.[1];
      assert.ok(id, "the Default experiment's page lists no run");
      const page = await fetch(`${url}/experiments/0/runs/${id}`);
      assert.equal(page.status, 200);
      assert.ok((await page.text()).includes(id));
      return id;
    } finally {
      child.kill("SIGTERM");
      await reader.cancel();
      assert.equal((await child.status).code, 0, await stderr);
    }
  }
});

// The variables an `export` line sets, as bash computes them.
async function exported(line: string, env: Record<string, string>) {
  const name = /^export (\w+)=/.exec(line)![1];
  const r = await runProcess("bash", ["-c", `${line}; printf %s "$${name}"`], { env });
  return { [name]: r.stdout };
}
