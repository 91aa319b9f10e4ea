/** `--auth basic` through `app.request()`: deny by default, Basic and Bearer, read-only, limits. */
import assert from "node:assert/strict";
import { type TestApp, testApp } from "../../tests/helpers/api.ts";
import { Auth, type AuthConfig, parseCredentialLines, parseCredentialList } from "./auth.ts";
import { hashPassword } from "./passwords.ts";

const TOKEN = "tok-0123456789abcdef";
const basic = (user: string, pw: string) => "Basic " + btoa(`${user}:${pw}`);
const ALICE = basic("alice", "alice-pw");

async function authApp(cfg: Partial<AuthConfig> = {}, mountUi = false): Promise<TestApp> {
  const auth = await Auth.create({
    users: [["alice", await hashPassword("alice-pw", 1000)], ["viewer", "viewer-pw"]],
    tokens: [["ci", TOKEN]],
    readOnly: ["viewer"],
    ...cfg,
  });
  const t = await testApp({ auth });
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
  const t = await authApp({}, true);
  try {
    const seen = new Set<string>();
    for (const r of t.app.routes) {
      const method = r.method === "ALL" ? "GET" : r.method;
      // A concrete URL for the pattern: parameters and wildcards become "x".
      const path = r.path.replace(/:[^/]+/g, "x").replace(/\*/g, "x");
      if (seen.has(`${method} ${path}`)) continue;
      seen.add(`${method} ${path}`);
      const res = await t.app.request(path, { method });
      if (path === "/health") {
        assert.equal(res.status, 200);
        await res.body?.cancel();
      } else await expect401(res, `${method} ${path}`);
    }
    assert.ok(seen.size > 40, `walked ${seen.size} routes`);
    // Unknown paths too: nothing tells an anonymous client which routes exist.
    await expect401(await t.app.request("/api/2.0/mlflow/no-such"), "unknown path");
  } finally {
    await t.close();
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

Deno.test("--auth basic: repeated failed sign-ins from one address get 429 for a minute", async () => {
  let now = 1_000_000;
  const t = await authApp({ maxFailuresPerMinute: 3, now: () => now });
  try {
    const { expId } = await newRun(t);
    const get = (authorization: string) =>
      t.app.request(`/api/2.0/mlflow/experiments/get?experiment_id=${expId}`, {
        headers: { authorization },
      });
    for (let i = 0; i < 3; i++) await expect401(await get(basic("alice", `guess${i}`)), `try ${i}`);
    const limited = await get(ALICE);
    assert.equal(limited.status, 429);
    assert.equal((await limited.json()).error_code, "REQUEST_LIMIT_EXCEEDED");
    now += 61_000;
    const again = await get(ALICE);
    assert.equal(again.status, 200);
    await again.body?.cancel();
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
