/**
 * Registry parity on SQLite: the real `mlflow server` and `mlt server`, each on a fresh
 * database, get the same sequence of registry requests (creates, versions from runs:/,
 * mlflow-artifacts:/, s3:// and models:/ sources, stages, aliases, tags, updates, renames,
 * searches with filters, orders and paging, deletes, and client mistakes) and must answer with
 * the same status and JSON once the differences docs/registry.md lists are normalised:
 * timestamps compare by rank within an answer, run ids by placeholder. A missing interpreter
 * fails the test.
 */
import assert from "node:assert/strict";
import { type MlflowServer, startMlflow, stopMlflow } from "./mlflow_server.ts";
import { type MltServer, startMltServer } from "../helpers/mlt_server.ts";
import { pythonPath } from "./python.ts";

type Json = ReturnType<typeof JSON.parse>;
const API = "/api/2.0/mlflow";
const TIMES = new Set(["creation_timestamp", "last_updated_timestamp"]);

interface Case {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  path: string;
  body?: Record<string, unknown>;
  /** Follow next_page_token on both sides. */
  paged?: boolean;
  /** Messages differ by design (mlt's filter parser, no SQLAlchemy text): status and code only. */
  messages?: false;
  /** A deliberate difference: mlt's own status and code (docs/registry.md says why). */
  mlt?: [number, string];
}

const get = (path: string, extra: Partial<Case> = {}): Case => ({ method: "GET", path, ...extra });
const post = (path: string, body: Record<string, unknown>, extra: Partial<Case> = {}): Case => ({
  method: "POST",
  path,
  body,
  ...extra,
});
const q = (s: string) => encodeURIComponent(s);

function writes(): Case[] {
  const mv = (body: Record<string, unknown>) => post("model-versions/create", body);
  return [
    post("registered-models/create", {
      name: "m1",
      tags: [{ key: "t", value: "v" }, { key: "e", value: "" }],
      description: "first model",
    }),
    post("registered-models/create", { name: "m2", description: "" }),
    post("registered-models/create", { name: "m3" }),
    post("registered-models/create", {
      name: "p1",
      tags: [{ key: "mlflow.prompt.is_prompt", value: "true" }],
    }),
    mv({
      name: "m1",
      source: "runs:/{RUN}/model",
      run_id: "{RUN}",
      tags: [{ key: "k", value: "v" }],
      description: "",
    }),
    mv({
      name: "m1",
      source: "mlflow-artifacts:/0/{RUN}/artifacts/model",
      run_id: "{RUN}",
      run_link: "http://x",
      description: "dd",
    }),
    mv({ name: "m1", source: "s3://bucket/x" }),
    mv({ name: "m1", source: "models:/m1/1" }),
    ...[1, 2, 3].map(() => mv({ name: "m3", source: "s3://b/m3" })),
    mv({ name: "m3", source: "models:/m1/2", run_id: "{RUN}" }),
    post("model-versions/transition-stage", {
      name: "m1",
      version: "2",
      stage: "production",
      archive_existing_versions: false,
    }),
    post("model-versions/transition-stage", { name: "m1", version: "1", stage: "Staging" }),
    post("model-versions/transition-stage", {
      name: "m1",
      version: "3",
      stage: "PRODUCTION",
      archive_existing_versions: true,
    }),
    post("model-versions/transition-stage", { name: "m3", version: "2", stage: "Production" }),
    post("registered-models/alias", { name: "m1", alias: "champion", version: "1" }),
    post("registered-models/alias", { name: "m1", alias: "challenger", version: "3" }),
    post("registered-models/set-tag", { name: "m2", key: "a", value: "1" }),
    post("registered-models/set-tag", { name: "m2", key: "nv" }),
    post("model-versions/set-tag", { name: "m3", version: "1", key: "x", value: "y" }),
    {
      method: "PATCH",
      path: "model-versions/update",
      body: { name: "m1", version: "2", description: "new" },
    },
    { method: "PATCH", path: "model-versions/update", body: { name: "m3", version: "1" } },
    { method: "PATCH", path: "registered-models/update", body: { name: "m2", description: "upd" } },
    { method: "PATCH", path: "registered-models/update", body: { name: "m3" } },
  ];
}

function reads(): Case[] {
  const versions = (m: string, n: number) =>
    Array.from({ length: n }, (_, i) => [
      get(`model-versions/get?name=${m}&version=${i + 1}`),
      get(`model-versions/get-download-uri?name=${m}&version=${i + 1}`),
    ]).flat();
  return [
    ...["m1", "m2", "m3", "p1", "nope"].map((n) => get(`registered-models/get?name=${n}`)),
    ...versions("m1", 4),
    ...versions("m3", 4),
    get("registered-models/search"),
    get("registered-models/search?max_results=1", { paged: true }),
    get("registered-models/search?max_results=2&order_by=name+DESC", { paged: true }),
    get("registered-models/search?order_by=last_updated_timestamp+DESC"),
    get("registered-models/search?order_by=timestamp"),
    get(`registered-models/search?filter=${q("name LIKE 'm%'")}`),
    get(`registered-models/search?filter=${q("name = 'm2'")}`),
    get(`registered-models/search?filter=${q("name IN ('m1', 'm3')")}`),
    get(`registered-models/search?filter=${q("tags.t = 'v'")}`),
    get(`registered-models/search?filter=${q("tags.t != 'v'")}`),
    get(`registered-models/search?filter=${q("tags.`mlflow.prompt.is_prompt` = 'true'")}`),
    get("model-versions/search"),
    get("model-versions/search?max_results=3", { paged: true }),
    get(`model-versions/search?filter=${q("name = 'm1' and version_number > 2")}`),
    get(`model-versions/search?filter=${q("run_id = '{RUN}'")}`),
    get(`model-versions/search?filter=${q("source_path LIKE 's3%'")}`),
    get(`model-versions/search?filter=${q("tags.x = 'y'")}`),
    get(`model-versions/search?filter=${q("name IN ('m1','m3')")}&order_by=version_number+ASC`),
    get("model-versions/search?order_by=creation_timestamp&order_by=name+DESC"),
    post("registered-models/get-latest-versions", { name: "m1" }),
    post("registered-models/get-latest-versions", { name: "m1", stages: ["production", "None"] }),
    get("registered-models/get-latest-versions?name=m3&stages=staging"),
    get("registered-models/alias?name=m1&alias=champion"),
    get("registered-models/alias?name=m1&alias=latest"),
    get("registered-models/alias?name=m1&alias=nope"),
  ];
}

function mistakes(): Case[] {
  const no = { messages: false } as const;
  return [
    post("registered-models/create", { name: "m1" }),
    post("registered-models/create", {}),
    ...["bad/name", "bad:name", "..", "  "].map((name) =>
      post("registered-models/create", { name })
    ),
    post("registered-models/set-tag", { name: "m1", key: "a/../b", value: "1" }, no),
    post("model-versions/create", { name: "m1", source: "runs:/{RUN}/model" }),
    post("model-versions/create", { name: "m1", source: "/etc/passwd", run_id: "{RUN}" }),
    post("model-versions/create", { name: "nope", source: "s3://b/x" }),
    get("model-versions/get?name=m1&version=x"),
    get("model-versions/get?name=m1&version=99"),
    post("model-versions/transition-stage", {
      name: "m1",
      version: "3",
      stage: "bogus",
      archive_existing_versions: true,
    }),
    post("model-versions/transition-stage", {
      name: "m1",
      version: "3",
      stage: "None",
      archive_existing_versions: true,
    }, { mlt: [400, "INVALID_PARAMETER_VALUE"] }),
    ...["v1", "Latest", "a b"].map((alias) =>
      post("registered-models/alias", { name: "m1", alias, version: "1" })
    ),
    post("registered-models/alias", { name: "m1", alias: "x", version: "99" }),
    post("registered-models/get-latest-versions", { name: "m1", stages: ["bad"] }),
    get("registered-models/search?max_results=1001"),
    get("registered-models/search?page_token=xyz"),
    get("registered-models/search?order_by=bogus", no),
    get(`registered-models/search?filter=${q("creation_timestamp > 0")}`, no),
    get(`registered-models/search?filter=${q("name = m1")}`, no),
    get(`model-versions/search?filter=${q("name = 'm1' OR name = 'm3'")}`, no),
    get(`model-versions/search?filter=${q("version_number >= 2.5")}`, no),
    get("model-versions/search?max_results=0"),
    get("model-versions/search?order_by=name&order_by=name", {
      mlt: [400, "INVALID_PARAMETER_VALUE"],
    }),
    post("registered-models/rename", { name: "m3", new_name: "m1" }, no),
    post("registered-models/rename", { name: "m3" }),
  ];
}

function finale(): Case[] {
  const del = (path: string, body: Record<string, unknown>): Case => ({
    method: "DELETE",
    path,
    body,
  });
  return [
    post("registered-models/rename", { name: "m3", new_name: "m3b" }),
    get("registered-models/get?name=m3b"),
    get("model-versions/get?name=m3b&version=1"),
    del("model-versions/delete", { name: "m1", version: "1" }),
    del("model-versions/delete", { name: "m1", version: "1" }),
    get("registered-models/alias?name=m1&alias=champion"),
    get("registered-models/get?name=m1"),
    del("registered-models/alias", { name: "m1", alias: "nope" }),
    del("registered-models/alias", { name: "m1", alias: "challenger" }),
    del("registered-models/delete-tag", { name: "m2", key: "zzz" }),
    del("registered-models/delete-tag", { name: "m2", key: "a" }),
    del("model-versions/delete-tag", { name: "m3b", version: "1", key: "x" }),
    post("model-versions/create", { name: "m1", source: "s3://bucket/again" }),
    get("model-versions/search"),
    get("registered-models/search"),
    del("registered-models/delete", { name: "m3b" }),
    del("registered-models/delete", { name: "m3b" }),
    get("model-versions/search"),
    get("registered-models/search"),
  ];
}

async function call(base: string, run: string, c: Case, token?: string): Promise<[number, Json]> {
  let path = `${API}/${c.path.replaceAll("{RUN}", run)}`;
  let body = c.body ? JSON.parse(JSON.stringify(c.body).replaceAll("{RUN}", run)) : undefined;
  if (token && c.method === "GET") {
    path += `${path.includes("?") ? "&" : "?"}page_token=${q(token)}`;
  } else if (token) body = { ...body, page_token: token };
  const res = await fetch(base + path, {
    method: c.method,
    ...(body === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  const text = (await res.text()).replaceAll(run, "{RUN}");
  return [res.status, JSON.parse(text)];
}

// Timestamps by rank within one answer; MLflow's extra error fields dropped.
function normalise([status, body]: [number, Json], c: Case): [number, Json] {
  const times = new Set<number>();
  const walk = (x: Json, f: (k: string, v: Json) => Json): Json =>
    Array.isArray(x)
      ? x.map((y) => walk(y, f))
      : x !== null && typeof x === "object"
      ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, f(k, walk(v, f))]))
      : x;
  walk(body, (k, v) => (TIMES.has(k) && typeof v === "number" && times.add(v), v));
  const rank = [...times].sort((a, b) => a - b);
  const out = walk(
    body,
    (k, v) => TIMES.has(k) && typeof v === "number" ? `t${rank.indexOf(v)}` : v,
  );
  delete out.error_class;
  delete out.sqlstate;
  if (out.error_code && c.messages === false) delete out.message;
  return [status, out];
}

async function compare(mlflow: [string, string], mlt: [string, string], c: Case) {
  let token: string | undefined;
  do {
    const [a, b] = await Promise.all([call(...mlflow, c, token), call(...mlt, c, token)]);
    const what = `${c.method} ${c.path} ${c.body ? JSON.stringify(c.body) : ""}`;
    if (c.mlt) {
      assert.equal(a[0], 500, `MLflow's answer to ${what} changed: ${JSON.stringify(a[1])}`);
      assert.deepEqual([b[0], b[1].error_code], c.mlt, what);
    } else assert.deepEqual(normalise(b, c), normalise(a, c), what);
    token = c.paged ? a[1].next_page_token : undefined;
    // Writes a few ms apart, so only one request's own timestamps can be equal.
    if (c.method !== "GET") await new Promise((r) => setTimeout(r, 5));
  } while (token);
}

Deno.test("registry parity on SQLite: mlt server answers as mlflow server does", async (t) => {
  pythonPath();
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-registry-parity-" }));
  let mlflow: MlflowServer | undefined;
  let mlt: MltServer | undefined;
  try {
    [mlflow, mlt] = await Promise.all([
      startMlflow(dir, ["--backend-store-uri", `sqlite:///${dir}/mlflow.db`]),
      startMltServer(dir, ["--backend-store-uri", `sqlite:///${dir}/mlt.db`]),
    ]);
    const runOf = async (base: string) => {
      const res = await fetch(`${base}${API}/runs/create`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ experiment_id: "0" }),
      });
      return (await res.json()).run.info.run_id as string;
    };
    const a: [string, string] = [mlflow.url, await runOf(mlflow.url)];
    const b: [string, string] = [mlt.url, await runOf(mlt.url)];
    const groups: [string, Case[]][] = [
      ["writes", writes()],
      ["reads", reads()],
      ["client mistakes", mistakes()],
      ["renames and deletes", finale()],
    ];
    for (const [name, cases] of groups) {
      await t.step(`${name} (${cases.length} requests)`, async () => {
        for (const c of cases) await compare(a, b, c);
      });
    }
  } finally {
    if (mlflow) await stopMlflow(mlflow);
    if (mlt) {
      mlt.child.kill("SIGTERM");
      await mlt.child.status;
      await mlt.stderr;
    }
    await Deno.remove(dir, { recursive: true });
  }
});
