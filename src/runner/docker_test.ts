import assert from "node:assert/strict";
import { join } from "node:path";
import {
  checkDockerEngine,
  checkImage,
  checkVolumeSources,
  containerPath,
  dockerRunArgs,
  type DockerRunOptions,
  environmentArgs,
  outermostPaths,
  trackingAccess,
  volumeArg,
} from "./docker.ts";
import { which } from "./env_cache.ts";

Deno.test("checkImage() accepts image references and nothing that reads as an option", () => {
  const ok = [
    "python",
    "python:3.12-slim",
    "library/ubuntu:24.04",
    "localhost:5000/team/img:v1.2_3",
    "registry.example.com:5000/a/b/c",
    "ghcr.io/org/img@sha256:" + "a".repeat(64),
    "img:tag@sha256:" + "0".repeat(64),
    "my-org__x/img.name",
  ];
  for (const image of ok) assert.equal(checkImage(image), image, image);
  const bad = [
    "",
    "--privileged",
    "-v",
    "Python",
    "a b",
    "img;rm -rf /",
    "img\n",
    "img:",
    "img:-tag",
    "$(id)",
    "img:" + "t".repeat(200),
    "/abs",
  ];
  for (const image of bad) {
    assert.throws(
      () => checkImage(image),
      /docker_env\.image "[^]*" is not an image reference/,
      image,
    );
  }
});

Deno.test("volumeArg() makes host paths absolute against the project and checks the rest", () => {
  const table: [string, string][] = [
    ["/data:/data", "/data:/data"],
    ["/data/../srv//x/:/mnt/x/:ro", "/srv/x:/mnt/x:ro"],
    ["./data:/data", "/p/proj/data:/data"],
    ["data/in:/in:ro,Z", "/p/proj/data/in:/in:ro,Z"],
    ["../shared:/shared", "/p/shared:/shared"],
    [".:/work", "/p/proj:/work"],
    ["cache-vol:/root/.cache", "cache-vol:/root/.cache"],
    ["/scratch", "/scratch"],
  ];
  for (const [spec, want] of table) assert.equal(volumeArg(spec, "/p/proj"), want, spec);
  const bad: [string, RegExp][] = [
    ["", /is empty/],
    ["a\nb:/x", /control character/],
    ["/a:/b:ro:x", /must be "host:container"/],
    ["/a::/b", /must be "host:container"/],
    ["/a:rel", /container path "rel" that is not absolute/],
    ["rel", /container path "rel" that is not absolute/],
    ["~/x:/x", /docker does not expand/],
    ["-x:/x", /neither a path nor a volume name/],
    ["$(id):/x", /neither a path nor a volume name/],
    ["/a:/b:rx", /unknown mode "rx"/],
    ["/a:/mlflow/projects/code", /mounts over \/mlflow\/projects\/code/],
    ["/a:/mlflow/projects/code/", /mounts over/],
  ];
  for (const [spec, re] of bad) {
    assert.throws(() => volumeArg(spec, "/p/proj"), re, spec);
    assert.throws(() => volumeArg(spec, "/p/proj"), /^\w*Error: Project configuration/, spec);
  }
});

Deno.test("environmentArgs(): pairs set values, names copy set host variables", () => {
  const host = { HOME: "/home/u", EMPTY: "", SECRET: "s3cr3t" };
  assert.deepEqual(
    environmentArgs(
      [
        "HOME",
        "UNSET",
        "EMPTY",
        "SECRET",
        ["K", "a b"],
        ["Q", "$(id)"],
        "MLFLOW_RUN_ID",
        ["MLFLOW_TRACKING_URI", "x"],
      ],
      host,
    ),
    {
      // A copied host value never lands in argv: docker reads it from its own environment.
      values: ["HOME", "EMPTY", "SECRET", "K=a b", "Q=$(id)"],
      ignored: ["MLFLOW_RUN_ID", "MLFLOW_TRACKING_URI"],
      unset: ["UNSET"],
    },
  );
  for (const entry of ["A-B", "1X", "X=Y", ["-e", "1"], ["A B", "1"]] as const) {
    assert.throws(
      () => environmentArgs([entry as string | [string, string]], host),
      /is not a variable name/,
    );
  }
  assert.throws(() => environmentArgs([["K", "a\0b"]], host), /NUL byte/);
});

Deno.test("trackingAccess(): local stores are mounted, loopback servers use the host network", () => {
  // What a container needs to sign in to a tracking server.
  const CREDENTIALS = [
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_TOKEN",
    "MLFLOW_TRACKING_INSECURE_TLS",
  ];
  const table: [string, string | undefined, ReturnType<typeof trackingAccess>][] = [
    ["file:///abs/ml%20runs", undefined, {
      mounts: ["/abs/ml runs"],
      hostNetwork: false,
      passEnv: [],
    }],
    ["file:///abs/mlruns", "/abs/mlruns/0/r/artifacts", {
      mounts: ["/abs/mlruns", "/abs/mlruns/0/r/artifacts"],
      hostNetwork: false,
      passEnv: [],
    }],
    ["sqlite:////abs/db/mlflow.db", "/abs/art/r", {
      mounts: ["/abs/db", "/abs/art/r"],
      hostNetwork: false,
      passEnv: [],
    }],
    ["http://127.0.0.1:41234", "/abs/mlartifacts/1/r/artifacts", {
      mounts: ["/abs/mlartifacts/1/r/artifacts"],
      hostNetwork: true,
      passEnv: CREDENTIALS,
    }],
    ["http://localhost:5000", undefined, {
      mounts: [],
      hostNetwork: true,
      passEnv: CREDENTIALS,
    }],
    ["https://mlflow.example.com/x", undefined, {
      mounts: [],
      hostNetwork: false,
      passEnv: CREDENTIALS,
    }],
    ["postgresql://u@db.example.com/x", undefined, { mounts: [], hostNetwork: false, passEnv: [] }],
  ];
  for (const [uri, art, want] of table) assert.deepEqual(trackingAccess(uri, art), want, uri);
});

Deno.test("outermostPaths() drops duplicates and paths inside others", () => {
  assert.deepEqual(
    outermostPaths(["/a/mlruns/0/r/artifacts", "/a/mlruns", "/b/x/", "/b/x", "/a/mlrunsX", "/c"]),
    ["/a/mlruns", "/a/mlrunsX", "/b/x", "/c"],
  );
});

Deno.test("containerPath(): inside the project → under the mount; outside → mounted as is", () => {
  assert.deepEqual(containerPath("/p/proj/data/x.csv", "/p/proj"), {
    path: "/mlflow/projects/code/data/x.csv",
  });
  assert.deepEqual(containerPath("/p/proj", "/p/proj"), { path: "/mlflow/projects/code" });
  assert.deepEqual(containerPath("/p/projX/y", "/p/proj"), {
    path: "/p/projX/y",
    mount: "/p/projX/y",
  });
  assert.deepEqual(containerPath("/data/y", "/p/proj"), { path: "/data/y", mount: "/data/y" });
});

const RUN_ID = "0123456789abcdef0123456789abcdef";

function options(over: Partial<DockerRunOptions> = {}): DockerRunOptions {
  return {
    image: "python:3.12-slim",
    name: `mlt-${RUN_ID}`,
    projectDir: "/p/proj",
    volumes: ["/data:/data:ro"],
    environment: ["HOME", "K=a b"],
    sameMounts: ["/p/mlruns", "/p/mlruns/0/x/artifacts"],
    hostNetwork: false,
    passEnv: [],
    runVars: {
      MLFLOW_RUN_ID: RUN_ID,
      MLFLOW_EXPERIMENT_ID: "0",
      MLFLOW_TRACKING_URI: "file:///p/mlruns",
      MLFLOW_ALLOW_FILE_STORE: "true",
    },
    tty: false,
    command: "python train.py --alpha '0.1; touch /tmp/pwn'",
    ...over,
  };
}

Deno.test("dockerRunArgs() builds one argv element per value", () => {
  assert.deepEqual(dockerRunArgs(options()), [
    "run",
    "--rm",
    "-i",
    "--init",
    "--name",
    `mlt-${RUN_ID}`,
    "-v",
    "/p/proj:/mlflow/projects/code",
    "-w",
    "/mlflow/projects/code",
    "-v",
    "/p/mlruns:/p/mlruns",
    "-v",
    "/data:/data:ro",
    "-e",
    "HOME",
    "-e",
    "K=a b",
    "-e",
    `MLFLOW_RUN_ID=${RUN_ID}`,
    "-e",
    "MLFLOW_EXPERIMENT_ID=0",
    "-e",
    "MLFLOW_TRACKING_URI=file:///p/mlruns",
    "-e",
    "MLFLOW_ALLOW_FILE_STORE=true",
    "python:3.12-slim",
    "bash",
    "-c",
    "python train.py --alpha '0.1; touch /tmp/pwn'",
  ]);
  const served = dockerRunArgs(options({
    tty: true,
    hostNetwork: true,
    sameMounts: ["/p/mlartifacts/1/r/artifacts"],
    volumes: [],
    environment: ["MLFLOW_RUN_ID=evil"],
    passEnv: ["MLFLOW_TRACKING_TOKEN"],
    runVars: { MLFLOW_RUN_ID: RUN_ID, MLFLOW_TRACKING_URI: "http://127.0.0.1:4000" },
  }));
  assert.deepEqual(served.slice(0, 10), [
    "run",
    "--rm",
    "-i",
    "-t",
    "--init",
    "--name",
    `mlt-${RUN_ID}`,
    "--network",
    "host",
    "-v",
  ]);
  assert.ok(!served.includes("MLFLOW_RUN_ID=evil"), "the project overrode the run id");
  assert.deepEqual(served.slice(served.indexOf("-w") + 2, -4), [
    "-v",
    "/p/mlartifacts/1/r/artifacts:/p/mlartifacts/1/r/artifacts",
    "-e",
    "MLFLOW_TRACKING_TOKEN",
    "-e",
    `MLFLOW_RUN_ID=${RUN_ID}`,
    "-e",
    "MLFLOW_TRACKING_URI=http://127.0.0.1:4000",
  ]);
});

Deno.test("dockerRunArgs() refuses mounts docker cannot take and clashing targets", () => {
  const cases: [Partial<DockerRunOptions>, RegExp][] = [
    [{ projectDir: "/p/a:b" }, /Cannot mount the project "\/p\/a:b"/],
    [{ sameMounts: ["/"] }, /other than "\/"/],
    [{ sameMounts: ["/x/a\nb"] }, /control characters/],
    [{ volumes: ["/other:/p/mlruns"] }, /at "\/p\/mlruns" in the container: "\/p\/mlruns" is/],
    [{ volumes: ["/a:/x", "/b:/x"] }, /at "\/x" in the container: volume "\/a:\/x"/],
    [{ image: "--privileged" }, /not an image reference/],
  ];
  for (const [over, re] of cases) assert.throws(() => dockerRunArgs(options(over)), re);
});

// Needs the docker client (not an engine); .ci/run installs it, and a missing one fails the test.
Deno.test({
  name: "dockerRunArgs() output parses with the real docker client",
  fn: async () => {
    // No engine at this socket: the client parses and checks every flag, then fails to connect.
    const env = { DOCKER_HOST: "unix:///nonexistent/mlt-test.sock", PATH: Deno.env.get("PATH")! };
    const docker = async (args: string[]) => {
      const out = await new Deno.Command("docker", {
        args,
        env,
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      return new TextDecoder().decode(out.stderr);
    };
    const cannotConnect = /Cannot connect to the Docker daemon|nonexistent\/mlt-test\.sock/;
    const ok = options({ hostNetwork: true, passEnv: ["MLFLOW_TRACKING_TOKEN"] });
    assert.match(await docker(dockerRunArgs(ok)), cannotConnect);
    // The same client rejects what the builder refuses (so the checks are not stricter than needed
    // in the wrong place): an empty volume section, an image that is an option.
    assert.doesNotMatch(await docker(["run", "--rm", "-v", "/a::/b", "alpine"]), cannotConnect);
    assert.doesNotMatch(await docker(["run", "--rm", "--", "--privileged"]), cannotConnect);
  },
});

/** A stand-in `docker` in a temp dir whose `info` runs `script`. */
async function fakeDocker(script: string): Promise<{ path: string; cleanup: () => void }> {
  const dir = await Deno.makeTempDir({ prefix: "mlt-docker-test-" });
  await Deno.writeTextFile(join(dir, "docker"), `#!/bin/bash\n${script}\n`, { mode: 0o755 });
  return {
    path: `${dir}:${Deno.env.get("PATH")}`,
    cleanup: () => Deno.removeSync(dir, { recursive: true }),
  };
}

Deno.test("checkDockerEngine(): a clear error unless `docker info` answers in time", async () => {
  const noDocker = (Deno.env.get("PATH") ?? "").split(":").filter((d) => !which("docker", d))
    .join(":");
  await assert.rejects(
    checkDockerEngine({ PATH: noDocker }),
    /docker_env projects need a Docker engine, but `docker` is not on PATH/,
  );
  // [script, expected error or undefined for success, timeout]: only the silent `docker` gets the
  // short timeout; the others have seconds to start (a loaded CI machine takes more than 0.3 s).
  const cases: [string, RegExp | undefined, number][] = [
    [
      'echo "Cannot connect to the Docker daemon at unix:///x.sock." >&2; exit 1',
      /none answers \(`docker info` failed: Cannot connect to the Docker daemon at unix:\/\/\/x\.sock\.\)/,
      10_000,
    ],
    // `docker info --format` may exit 0 with nothing on stdout when the server errs.
    [
      'echo "request returned 404" >&2; exit 0',
      /`docker info` failed: request returned 404/,
      10_000,
    ],
    ["exec sleep 30", /`docker info` did not answer within 0\.3 s/, 300],
    ['[ "$*" = "info --format {{.ServerVersion}}" ] && echo 28.2.2', undefined, 10_000],
  ];
  for (const [script, re, timeoutMs] of cases) {
    const fake = await fakeDocker(script);
    try {
      const started = Date.now();
      const run = checkDockerEngine({ PATH: fake.path }, timeoutMs);
      if (re) await assert.rejects(run, re, script);
      else assert.ok((await run).endsWith("/docker"));
      // The sleeping `docker` (30 s) was stopped by the timeout, not waited for.
      assert.ok(Date.now() - started < 20_000, "the timeout did not hold");
    } finally {
      fake.cleanup();
    }
  }
});

Deno.test("checkVolumeSources(): host paths outside the project are refused, links followed", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-volumes-" }));
  try {
    const proj = `${dir}/proj`;
    await Deno.mkdir(`${proj}/data`, { recursive: true });
    await Deno.symlink("/", `${proj}/root-link`);
    await Deno.symlink(`${proj}/data`, `${proj}/data-link`);
    const home = Deno.env.get("HOME") ?? "/root";
    const check = (spec: string) => checkVolumeSources([spec], [volumeArg(spec, proj)], proj);
    for (
      const spec of [
        "/:/host",
        "/etc:/etc:ro",
        "/root:/r",
        `${home}:/home`,
        "/var/run/docker.sock:/var/run/docker.sock",
        "../:/up",
        `${dir}:/parent`,
        "./root-link:/x",
        "./root-link/etc:/x",
        `${proj}/../other:/o`,
      ]
    ) {
      assert.throws(
        () => check(spec),
        (e) =>
          e instanceof Error &&
          e.message.includes(`docker_env.volumes entry "${spec}" mounts the host path`) &&
          e.message.includes("--allow-docker-volumes"),
        spec,
      );
    }
    for (
      const spec of [
        "./data:/data:ro",
        "data:/d",
        "./data-link:/d",
        `${proj}/data:/d`,
        `${proj}:/p`,
        "./not-yet/there:/n",
        "named-cache:/cache",
        "/anonymous",
      ]
    ) check(spec);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkVolumeSources(): a dangling link is judged by where it points", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-volumes-" }));
  try {
    await Deno.mkdir(`${dir}/proj`);
    await Deno.symlink(`${dir}/outside/new`, `${dir}/proj/dangling`);
    await Deno.symlink(`${dir}/proj/later`, `${dir}/proj/inside-dangling`);
    const check = (spec: string) =>
      checkVolumeSources([spec], [volumeArg(spec, `${dir}/proj`)], `${dir}/proj`);
    assert.throws(() => check("./dangling:/d"), /outside the project/);
    assert.throws(() => check("./dangling/sub:/d"), /outside the project/);
    check("./inside-dangling:/d");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
