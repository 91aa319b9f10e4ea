/**
 * The Dockerfile and examples/compose/compose.yaml cannot be built here (no Docker engine), so
 * this checks what can be: the YAML parses, mlt's command line parses with mlt's own option
 * parser, its variables are ones mlt (or, for S3, MLflow's client) reads, and the services agree
 * on ports, credentials, host names and the bucket.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { load } from "js-yaml";
import { parseServerArgs } from "../src/cli/server_options.ts";
import { installRunFlags } from "../tools/bundle.ts";
import { pythonPath, REPO_ROOT, runPython } from "./compat/python.ts";

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}

const compose = load(
  await Deno.readTextFile(join(REPO_ROOT, "examples/compose/compose.yaml")),
) as { services: Record<string, Service> };
const dockerfile = await Deno.readTextFile(join(REPO_ROOT, "Dockerfile"));
const services = compose.services;

// Upper-case names quoted in the .ts (or .py) files under `dir`: the variables a program reads.
async function quotedNames(
  dir: string,
  ext: string,
  into = new Set<string>(),
): Promise<Set<string>> {
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) await quotedNames(path, ext, into);
    else if (e.name.endsWith(ext)) {
      for (const m of (await Deno.readTextFile(path)).matchAll(/["']([A-Z][A-Z0-9_]{2,})["']/g)) {
        into.add(m[1]);
      }
    }
  }
  return into;
}

const mltNames = await quotedNames(join(REPO_ROOT, "src"), ".ts");

// A variable is mlt's when mlt's source reads it; the S3 ones mlt takes as MLflow's client does
// (issue 14), so for those MLflow's own package is the reference.
let mlflowNames: Set<string> | undefined;
async function isKnownVariable(name: string): Promise<boolean> {
  if (mltNames.has(name)) return true;
  if (!/^(AWS_|MLFLOW_S3_)/.test(name)) return false;
  pythonPath(); // a missing Python fails here, with how to get one
  mlflowNames ??= await quotedNames(
    (await runPython(["-c", "import mlflow, os; print(os.path.dirname(mlflow.__file__))"])).trim(),
    ".py",
  );
  return mlflowNames.has(name);
}

const mlt = services.mlt;
const serverArgs = () => {
  const command = mlt.command ?? [];
  assert.equal(command[0], "server");
  return command.slice(1);
};

Deno.test("compose.yaml has mlt, PostgreSQL and an S3-compatible store", () => {
  assert.deepEqual(Object.keys(services).sort(), ["mlt", "postgres", "s3"]);
  assert.match(services.postgres.image ?? "", /^postgres:\d+/);
  assert.match(services.s3.image ?? "", /seaweedfs/);
  assert.equal(mlt.build, "../..", "mlt is built from the repository's Dockerfile");
  assert.equal(mlt.depends_on?.postgres.condition, "service_healthy");
});

Deno.test("compose.yaml: mlt's command line parses with mlt's own option parser", () => {
  const o = parseServerArgs(serverArgs());
  assert.equal(o.host, "0.0.0.0");
  const [published, inside] = (mlt.ports ?? [])[0].split(":").map(Number);
  assert.equal(o.port, inside);
  assert.equal(published, inside);
  assert.match(mlt.healthcheck?.test.join(" ") ?? "", new RegExp(`:${inside}/health`));
  assert.match(String(o["artifacts-destination"]), /^s3:\/\//);
  assert.ok(o["expose-prometheus"]);
  // The check has teeth: one misspelt option name is refused.
  const wrong = serverArgs().map((a) => a === "--expose-prometheus" ? "--expose-prometeus" : a);
  assert.throws(() => parseServerArgs(wrong), /unknown option '--expose-prometeus'/);
});

Deno.test("compose.yaml: every variable given to mlt is one mlt reads", async () => {
  const names = Object.keys(mlt.environment ?? {});
  assert.ok(names.includes("MLFLOW_BACKEND_STORE_URI"));
  for (const n of names) assert.ok(await isKnownVariable(n), `mlt reads no variable ${n}`);
  assert.equal(await isKnownVariable("MLFLOW_BACKEND_STORE"), false);
  assert.equal(await isKnownVariable("MLFLOW_S3_ENDPOINT"), false);
});

Deno.test("compose.yaml: the services agree on the database, endpoint, bucket and keys", () => {
  const env = mlt.environment ?? {};
  const pg = services.postgres.environment ?? {};
  const db = new URL(env.MLFLOW_BACKEND_STORE_URI);
  assert.equal(db.protocol, "postgresql:");
  assert.equal(db.hostname, "postgres");
  assert.equal(db.port, "5432");
  assert.equal(db.username, pg.POSTGRES_USER);
  assert.equal(decodeURIComponent(db.password), pg.POSTGRES_PASSWORD);
  assert.equal(db.pathname, `/${pg.POSTGRES_DB}`);

  const s3 = services.s3;
  const endpoint = new URL(env.MLFLOW_S3_ENDPOINT_URL);
  assert.equal(endpoint.hostname, "s3");
  const flags = new Map(
    (s3.command ?? []).filter((a) => a.includes("=")).map((a) =>
      a.split("=", 2) as [string, string]
    ),
  );
  assert.equal(endpoint.port, flags.get("-s3.port") ?? "8333"); // SeaweedFS' default S3 port
  const bucket = new URL(String(parseServerArgs(serverArgs())["artifacts-destination"])).host;
  assert.ok((flags.get("-bucket") ?? "").split(",").includes(bucket), `bucket ${bucket} made`);
  for (const k of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) {
    assert.equal(env[k], s3.environment?.[k], `${k} is the same on both sides`);
  }
});

Deno.test("Dockerfile: pinned Deno image, frozen install, the installed bundle, and a server command mlt parses", () => {
  assert.match(dockerfile, /^FROM denoland\/deno:2\.9\.6$/m);
  assert.match(dockerfile, /^RUN deno install --frozen$/m);
  const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
  assert.ok(cmd, "a CMD line");
  const args = JSON.parse(cmd[1]) as string[];
  assert.equal(args[0], "server");
  const o = parseServerArgs(args.slice(1));
  assert.equal(o.host, "0.0.0.0");
  assert.match(dockerfile, new RegExp(`^EXPOSE ${o.port}$`, "m"));
  assert.match(dockerfile, new RegExp(`127\\.0\\.0\\.1:${o.port}/health`));
  // The image runs what `deno task install` installs: the bundle, with the same Deno flags.
  assert.match(dockerfile, /^RUN deno run -A tools\/bundle\.ts$/m);
  const entry = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile);
  assert.ok(entry, "an ENTRYPOINT line");
  const install: string = JSON.parse(Deno.readTextFileSync(join(REPO_ROOT, "deno.json"))).tasks
    .install;
  const flags = installRunFlags(install);
  assert.deepEqual(
    [...JSON.parse(entry[1]).slice(3, -1)].sort(),
    [...flags].sort(),
    "the install task's Deno flags",
  );
  assert.deepEqual(JSON.parse(entry[1]).slice(0, 3), ["deno", "run", "-A"]);
  assert.equal(JSON.parse(entry[1]).at(-1), "/app/dist/mlt/main.js");
  // Every path the image copies exists, so the build context has what the image needs.
  for (const m of dockerfile.matchAll(/^COPY (.+) \S+$/gm)) {
    for (const p of m[1].split(" ")) Deno.statSync(join(REPO_ROOT, p));
  }
});
