/** `--auth basic` through `app.request()`: deny by default, Basic and Bearer, read-only, limits. */
import assert from "node:assert/strict";
import { type TestApp, testApp } from "../../tests/helpers/api.ts";
import { Auth, type AuthConfig, parseCredentialLines, parseCredentialList } from "./auth.ts";
import { hashPassword } from "./passwords.ts";
import type { Routes } from "./app.ts";

const TOKEN = "tok-0123456789abcdef";
const basic = (user: string, pw: string) => "Basic " + btoa(`${user}:${pw}`);
const ALICE = basic("alice", "alice-pw");

async function authApp(
  cfg: Partial<AuthConfig> = {},
  mountUi = false,
  routes?: Routes,
): Promise<TestApp> {
  const auth = await Auth.create({
    users: [["alice", await hashPassword("alice-pw", 1000)], ["viewer", "viewer-pw"]],
    tokens: [["ci", TOKEN]],
    readOnly: ["viewer"],
    ...cfg,
  });
  const t = await testApp({ auth }, routes);
  if (mountUi) (await import("../../ui/app.ts")).mountUi(t.app, { store: t.store });
  return t;
}

// An experiment "exp" and a run in it, made through the store (the app wants credentials).
async function newRun(t: TestApp): Promise<{ expId: string; runId: string }> {
  const expId = await t.store.createExperiment("exp");
  const run = await t.store.createRun({ experimentId: expId, startTime: 1000 });
  return { expId, runId: run.info.runId };
}

async function expect401(res: Response, what: string): Promise<void> {
  assert.equal(res.status, 401, what);
  assert.equal(res.headers.get("www-authenticate"), 'Basic realm="mlt"', what);
  assert.equal((await res.json()).error_code, "UNAUTHENTICATED", what);
}

Deno.test("--auth basic: every route in the table but /health answers 401 without credentials", async () => {
  // The table comes from an app with the API's routes mounted; the app that loads them on the
  // first request (as `mlt server` does) must guard the same paths.
  const t = await authApp({}, true, await import("./routes.ts"));
  const lazy = await authApp({}, true);
  try {
    const seen = new Set<string>();
    for (const r of t.app.routes) {
      const method = r.method === "ALL" ? "GET" : r.method;
      // A concrete URL for the pattern: parameters and wildcards become "x".
      const path = r.path.replace(/:[^/]+/g, "x").replace(/\*/g, "x");
      if (seen.has(`${method} ${path}`)) continue;
      seen.add(`${method} ${path}`);
      for (const app of [t.app, lazy.app]) {
        const res = await app.request(path, { method });
        if (path === "/health") {
          assert.equal(res.status, 200);
          await res.body?.cancel();
        } else await expect401(res, `${method} ${path}`);
      }
    }
    assert.ok(seen.size > 40, `walked ${seen.size} routes`);
    // Unknown paths too: nothing tells an anonymous client which routes exist.
    await expect401(await t.app.request("/api/2.0/mlflow/no-such"), "unknown path");
    await expect401(await lazy.app.request("/api/2.0/mlflow/no-such"), "unknown path");
  } finally {
    await t.close();
    await lazy.close();
  }
});

Deno.test("--auth basic: a password, a PBKDF2 hash or a bearer token signs in", async () => {
  const t = await authApp();
  try {
    await newRun(t);
    const search = (authorization: string) =>
      t.app.request("/api/2.0/mlflow/experiments/search", {
        method: "POST",
        headers: { "content-type": "application/json", authorization },
        body: "{}",
      });
    for (const ok of [ALICE, basic("viewer", "viewer-pw"), `Bearer ${TOKEN}`, `bearer ${TOKEN}`]) {
      const res = await search(ok);
      assert.equal(res.status, 200, ok);
      const names = (await res.json()).experiments.map((e: { name: string }) => e.name);
      assert.ok(names.includes("exp"), ok);
    }
    const bad = [
      basic("alice", "alice-pw "),
      basic("alice", ""),
      basic("nobody", "alice-pw"),
      basic("viewer", "alice-pw"),
      "Basic !!!not-base64",
      "Basic " + btoa("no-colon"),
      `Bearer ${TOKEN}x`,
      "Bearer ",
      `Token ${TOKEN}`,
      "Digest username=alice",
    ];
    for (const header of bad) {
      const res = await search(header);
      await expect401(res, header);
    }
    const health = await t.app.request("/health");
    assert.equal(await health.text(), "OK");
  } finally {
    await t.close();
  }
});

Deno.test("--auth basic: read-only users read (GET and POST searches) but change nothing", async () => {
  const t = await authApp({}, true);
  try {
    const { runId } = await newRun(t);
    const viewer = basic("viewer", "viewer-pw");
    const as = (authorization: string, path: string, init: RequestInit = {}) =>
      t.app.request(path, {
        ...init,
        headers: { "content-type": "application/json", authorization, ...init.headers },
      });
    const reads: [string, RequestInit][] = [
      [`/api/2.0/mlflow/runs/get?run_id=${runId}`, {}],
      ["/api/2.0/mlflow/runs/search", { method: "POST", body: '{"experiment_ids":["0"]}' }],
      ["/ajax-api/2.0/mlflow/experiments/search", { method: "POST", body: "{}" }],
      ["/ajax-api/2.0/mlflow/experiments/search-datasets", {
        method: "POST",
        body: '{"experiment_ids":["0"]}',
      }],
      ["/api/2.0/mlflow/logged-models/search", {
        method: "POST",
        body: '{"experiment_ids":["0"]}',
      }],
      ["/api/2.0/mlflow-artifacts/artifacts", {}],
      ["/", {}],
    ];
    for (const [path, init] of reads) {
      const res = await as(viewer, path, init);
      assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
      await res.body?.cancel();
    }
    const writes: [string, RequestInit][] = [
      ["/api/2.0/mlflow/experiments/create", { method: "POST", body: '{"name":"x"}' }],
      ["/api/2.0/mlflow/runs/log-metric", {
        method: "POST",
        body: JSON.stringify({ run_id: runId, key: "m", value: 1, timestamp: 1 }),
      }],
      ["/api/2.0/mlflow-artifacts/artifacts/0/x.txt", { method: "PUT", body: "x" }],
      ["/api/2.0/mlflow-artifacts/artifacts/0/x.txt", { method: "DELETE" }],
      [`/ajax-api/2.0/mlflow/upload-artifact?run_uuid=${runId}&path=x.txt`, {
        method: "POST",
        body: "x",
      }],
      ["/api/2.0/mlflow/experiments/search/../create", { method: "POST", body: '{"name":"y"}' }],
      ["/_mlt/action/experiments/create", {
        method: "POST",
        body: "name=z",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "sec-fetch-site": "same-origin",
        },
      }],
    ];
    for (const [path, init] of writes) {
      const res = await as(viewer, path, init);
      assert.equal(res.status, 403, path);
      assert.deepEqual(await res.json(), {
        error_code: "PERMISSION_DENIED",
        message: 'Permission denied: "viewer" may only read',
      });
    }
    const names = await (await as(ALICE, "/api/2.0/mlflow/experiments/search", {
      method: "POST",
      body: "{}",
    })).json();
    assert.deepEqual(names.experiments.map((e: { name: string }) => e.name).sort(), [
      "Default",
      "exp",
    ]);
    // alice may write.
    const created = await as(ALICE, "/api/2.0/mlflow/experiments/create", {
      method: "POST",
      body: '{"name":"by-alice"}',
    });
    assert.equal(created.status, 200);
    await created.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("--auth basic: the UI's own reads of artifacts act for the signed-in user", async () => {
  const t = await authApp({}, true);
  try {
    const { expId, runId } = await newRun(t);
    const put = await t.app.request(
      `/api/2.0/mlflow-artifacts/artifacts/${expId}/${runId}/artifacts/note.txt`,
      { method: "PUT", body: "hello behind auth", headers: { authorization: ALICE } },
    );
    assert.equal(put.status, 200);
    await put.body?.cancel();
    const page = await t.app.request(`/experiments/${expId}/runs/${runId}?artifact=note.txt`, {
      headers: { authorization: basic("viewer", "viewer-pw") },
    });
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.ok(html.includes("note.txt"), "the listing came through");
    assert.ok(html.includes("hello behind auth"), "the preview came through");
    await expect401(
      await t.app.request(`/experiments/${expId}/runs/${runId}`),
      "the page itself still needs credentials",
    );
  } finally {
    await t.close();
  }
});

Deno.test("--auth basic: failed sign-ins get 429 per user and address, never the right password", async () => {
  let now = 1_000_000;
  const t = await authApp({ maxFailuresPerMinute: 3, now: () => now });
  try {
    const { expId } = await newRun(t);
    const get = (authorization: string, from = "10.0.0.1") =>
      t.app.request(`/api/2.0/mlflow/experiments/get?experiment_id=${expId}`, {
        headers: { authorization },
      }, { remoteAddr: { hostname: from } });
    for (let i = 0; i < 3; i++) await expect401(await get(basic("alice", `guess${i}`)), `try ${i}`);
    const limited = await get(basic("alice", "guess3"));
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get("retry-after"), "60");
    assert.equal((await limited.json()).error_code, "REQUEST_LIMIT_EXCEEDED");
    // The right password from the same address, another user from it, and alice elsewhere pass.
    for (const [auth, from] of [[ALICE, "10.0.0.1"], [basic("viewer", "viewer-pw"), "10.0.0.1"]]) {
      const ok = await get(auth, from);
      assert.equal(ok.status, 200, `${from}`);
      await ok.body?.cancel();
    }
    await expect401(await get(basic("alice", "guess4"), "10.0.0.2"), "another address");
    now += 61_000;
    await expect401(await get(basic("alice", "guess5")), "a new minute");
  } finally {
    await t.close();
  }
});

Deno.test("Auth.create() refuses configurations that would leave a door open", async () => {
  const cases: [Partial<AuthConfig>, RegExp][] = [
    [{}, /needs at least one user or token.*no default password/],
    [{ users: [] }, /needs at least one user/],
    [{ users: [["a", ""]] }, /password of user "a": the password is empty/],
    [{ users: [["a", "x"], ["a", "y"]] }, /listed twice/],
    [{ users: [["a", "scrypt:32768:8:1$s$00"]] }, /cannot check/],
    [{ users: [["a", "$2b$12$abc"]] }, /cannot check/],
    [{ tokens: [["t", "short"]] }, /too short/],
    [{ users: [["a", "pw"]], readOnly: ["b"] }, /unknown user "b"/],
  ];
  for (const [cfg, message] of cases) {
    await assert.rejects(Auth.create(cfg), (e: Error) => {
      assert.match(e.message, message);
      assert.ok(!/scrypt|\$2b|short/.test(e.message.replace(/too short/, "")), "no secret quoted");
      return true;
    });
  }
});

Deno.test("parseCredentialLines() and parseCredentialList() read name:secret entries", () => {
  assert.deepEqual(
    parseCredentialLines("# users\n\nalice:pw:with:colons\r\n  bob:pbkdf2:sha256:1$s$00  \n", "f"),
    [["alice", "pw:with:colons"], ["bob", "pbkdf2:sha256:1$s$00"]],
  );
  assert.deepEqual(parseCredentialList("a:1, b:2,", "MLT_AUTH_USERS"), [["a", "1"], ["b", "2"]]);
  assert.throws(() => parseCredentialLines("alice\n", "users.txt"), /users\.txt line 1/);
  assert.throws(() => parseCredentialLines("bad name:pw\n", "users.txt"), /line 1/);
  assert.throws(() => parseCredentialList("x:1,secretonly", "MLT_AUTH_USERS"), /entry 2/);
  try {
    parseCredentialList("secretonly", "MLT_AUTH_USERS");
  } catch (e) {
    assert.ok(!(e as Error).message.includes("secretonly"), "the secret is not quoted");
  }
});

Deno.test("--auth basic: runs/create records the signed-in user as the run's user_id", async () => {
  const t = await authApp();
  try {
    const expId = await t.store.createExperiment("exp");
    for (const [authorization, who] of [[ALICE, "alice"], [`Bearer ${TOKEN}`, "ci"]]) {
      const res = await t.app.request("/api/2.0/mlflow/runs/create", {
        method: "POST",
        headers: { authorization, "content-type": "application/json" },
        body: JSON.stringify({ experiment_id: expId, user_id: "mallory" }),
      });
      assert.equal(res.status, 200);
      const { run } = await res.json();
      assert.equal(run.info.user_id, who);
      assert.equal((await t.store.getRun(run.info.run_id)).info.userId, who);
    }
  } finally {
    await t.close();
  }
});
