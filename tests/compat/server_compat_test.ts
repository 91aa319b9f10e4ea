/**
 * The real Python mlflow client against a real `mlt server` process on a free port: every flow
 * of tests/compat/server_flows.py (experiments, fluent runs, NaN/±inf, batches, search and
 * paging, history paging, artifacts through the proxy, datasets, async logging, system metrics,
 * raw HTTP errors), then a graceful SIGTERM; the same client signing in to `--auth basic`; and
 * an upload in flight across a SIGTERM. Needs the venv python (python.ts) with psutil; a missing
 * one fails the test.
 */
import assert from "node:assert/strict";
import { manualBody } from "../helpers/body.ts";
import { mlt as runMlt } from "../helpers/mlt_cli.ts";
import { type MltServer, startMltServer } from "../helpers/mlt_server.ts";
import { pythonPath } from "./python.ts";
import { runServerFlows as runFlows } from "./server_flows.ts";

type Server = MltServer;

// mlt server over a file store in `dir`, artifacts in `dir/mlartifacts`.
function startServer(
  dir: string,
  extraArgs: string[] = [],
  env: Record<string, string> = {},
): Promise<Server> {
  return startMltServer(dir, [
    "--backend-store-uri",
    `${dir}/mlruns`,
    "--artifacts-destination",
    `${dir}/mlartifacts`,
    ...extraArgs,
  ], env);
}

// Stops the server with SIGTERM and checks it exited cleanly.
async function stopServer(server: Server): Promise<void> {
  server.child.kill("SIGTERM");
  const status = await server.child.status;
  const stderr = await server.stderr;
  assert.equal(status.code, 0, `server exited ${status.code}: ${stderr}`);
  assert.doesNotMatch(stderr, /error|Uncaught/i);
}

Deno.test("the Python mlflow client works against mlt server", async (t) => {
  pythonPath();
  const dir = await Deno.makeTempDir({ prefix: "mlt-server-compat-" });
  const server = await startServer(dir);
  try {
    const results = await runFlows(server.url, dir);
    assert.ok(Object.keys(results).length >= 12, "every flow ran");
    for (const [flow, result] of Object.entries(results)) {
      await t.step(flow, () => assert.equal(result, "ok", result));
    }
  } finally {
    await stopServer(server).finally(() => Deno.remove(dir, { recursive: true }));
  }
});

Deno.test("mlt server: SIGTERM lets an upload in flight finish and store it, then exits 0", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-server-sigterm-" });
  const server = await startServer(dir);
  try {
    const { body, send, finish } = manualBody();
    send("written before SIGTERM; ");
    const put = fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/0/r/artifacts/slow.txt`, {
      method: "PUT",
      body,
    });
    await new Promise((r) => setTimeout(r, 300));
    server.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    send("and after it");
    finish();
    const res = await put;
    assert.equal(res.status, 200, await res.text());
    const status = await server.child.status;
    assert.equal(status.code, 0, await server.stderr);
    assert.equal(
      await Deno.readTextFile(`${dir}/mlartifacts/0/r/artifacts/slow.txt`),
      "written before SIGTERM; and after it",
    );
  } finally {
    try {
      server.child.kill("SIGKILL");
    } catch { /* already gone */ }
    await server.child.status;
    await server.stderr;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--auth basic: the Python client signs in with a password or a token", async (t) => {
  pythonPath();
  const { hashPassword } = await import("../../src/api/passwords.ts");
  const dir = await Deno.makeTempDir({ prefix: "mlt-server-auth-" });
  await Deno.writeTextFile(
    `${dir}/users`,
    `# users of the test\nalice:${await hashPassword("alice's password")}\nviewer:look-only-pw\n`,
    { mode: 0o600 },
  );
  const token = "tok-" + crypto.randomUUID();
  await Deno.writeTextFile(`${dir}/tokens`, `ci:${token}\n`, { mode: 0o600 });
  const server = await startServer(dir, [
    "--auth",
    "basic",
    "--auth-users",
    `${dir}/users`,
    "--auth-tokens",
    `${dir}/tokens`,
    "--auth-readonly",
    "viewer",
  ], { MLT_AUTH_USERS: "bob:bob-from-env-pw" });
  try {
    const alice = {
      MLFLOW_TRACKING_USERNAME: "alice",
      MLFLOW_TRACKING_PASSWORD: "alice's password",
    };
    const runs: [string, string[], Record<string, string>][] = [
      [
        "alice",
        ["experiments", "fluent_run", "artifacts", "async_logging", "auth_required"],
        alice,
      ],
      ["token", ["fluent_run", "search_runs"], { MLFLOW_TRACKING_TOKEN: token }],
      ["bob", ["lifecycle"], {
        MLFLOW_TRACKING_USERNAME: "bob",
        MLFLOW_TRACKING_PASSWORD: "bob-from-env-pw",
      }],
      ["viewer", ["auth_readonly"], {
        MLFLOW_TRACKING_USERNAME: "viewer",
        MLFLOW_TRACKING_PASSWORD: "look-only-pw",
      }],
    ];
    // The writers in parallel; the read-only user last, when there is something to read.
    const writers = runs.slice(0, -1).map(([, flows, env]) =>
      runFlows(server.url, dir, flows, env)
    );
    const all = await Promise.all(writers);
    const [, lastFlows, lastEnv] = runs[runs.length - 1];
    all.push(await runFlows(server.url, dir, lastFlows, lastEnv));
    for (const [i, results] of all.entries()) {
      assert.deepEqual(Object.keys(results), runs[i][1]);
      for (const [flow, result] of Object.entries(results)) {
        await t.step(`${runs[i][0]}: ${flow}`, () => assert.equal(result, "ok", result));
      }
    }
  } finally {
    await stopServer(server).finally(() => Deno.remove(dir, { recursive: true }));
  }
});

Deno.test("mlt server --auth: configuration mistakes stop it before it listens; --hash-password", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-server-authcfg-" });
  const mlt = (args: string[], env: Record<string, string> = {}, stdin?: string) =>
    runMlt(["server", "--port", "0", ...args], { cwd: dir, env, stdin });
  try {
    await Deno.writeTextFile(`${dir}/users`, "alice:$2b$12$notsupportedbcrypt\n", { mode: 0o600 });
    const cases: [string[], Record<string, string>, RegExp][] = [
      [["--auth", "basic"], {}, /needs at least one user or token.*no default password/],
      [[], { MLT_AUTH: "basci", MLT_AUTH_USERS: "a:pw" }, /Unknown --auth \/ MLT_AUTH "basci"/],
      [["--auth-users", `${dir}/users`], {}, /--auth-users given without --auth basic/],
      [[], { MLT_AUTH_USERS: "a:b" }, /MLT_AUTH_USERS given without --auth basic/],
      [["--auth", "basic", "--auth-users", `${dir}/users`], {}, /user "alice".*cannot check/],
      [["--auth", "basic", "--auth-users", `${dir}/missing`], {}, /Cannot read credentials file/],
      [
        ["--auth", "basic", "--auth-readonly", "bob"],
        { MLT_AUTH_USERS: "a:pw" },
        /unknown user "bob"/,
      ],
    ];
    for (const [args, env, message] of cases) {
      const r = await mlt(args, env);
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.ok(!r.stdout.includes("listening"), "it never listened");
      assert.ok(!r.stderr.includes("notsupportedbcrypt"), "no secret in the message");
    }
    const wrongKind = await mlt(["--auth", "digest"]);
    assert.equal(wrongKind.code, 2);
    const hashed = await mlt(["--hash-password"], {}, "my password\n");
    assert.equal(hashed.code, 0, hashed.stderr);
    const hash = hashed.stdout.trim();
    assert.match(hash, /^pbkdf2:sha256:600000\$[A-Za-z0-9]{16}\$[0-9a-f]{64}$/);
    const { parseSecret, checkSecret } = await import("../../src/api/passwords.ts");
    assert.equal(await checkSecret("my password", await parseSecret(hash)), true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
