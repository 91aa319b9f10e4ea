import assert from "node:assert/strict";
import {
  findMlprojectName,
  MAX_MLPROJECT_BYTES,
  parseMlproject,
  pyFloatRepr,
  resolveEntryPoint,
} from "./spec.ts";

Deno.test("findMlprojectName() accepts any case", () => {
  assert.equal(findMlprojectName(["a.py", "mlproject"]), "mlproject");
  assert.equal(findMlprojectName(["MLProject", "x"]), "MLProject");
  assert.equal(findMlprojectName(["mlproject", "MLproject"]), "MLproject");
  assert.equal(findMlprojectName(["MLproject.yaml"]), undefined);
});

Deno.test("parseMlproject() reads names, entry points, parameters and defaults", () => {
  const spec = parseMlproject(
    `name: demo
entry_points:
  main:
    parameters:
      alpha: {type: float, default: 0.1}
      n: {type: int, default: 10}
      big: {type: float, default: 1.0}
      exp: {default: 1e-3}
      yes_: {type: string, default: yes}
      q: {default: '0.5'}
      none: {type: string, default: null}
      data: path
      y: {default: n}
    command: "python train.py {alpha}"
  other:
    command: echo hi
`,
    "p/MLproject",
  );
  assert.equal(spec.name, "demo");
  assert.deepEqual(spec.env, { kind: "none" });
  assert.deepEqual(spec.entryPoints.map((e) => e.name), ["main", "other"]);
  assert.deepEqual(spec.entryPoints[0].parameters, [
    { name: "alpha", type: "float", default: "0.1" },
    { name: "n", type: "int", default: "10" },
    { name: "big", type: "float", default: "1.0" },
    { name: "exp", type: "string", default: "1e-3" },
    { name: "yes_", type: "string", default: "True" },
    { name: "q", type: "string", default: "0.5" },
    { name: "none", type: "string" },
    { name: "data", type: "path" },
    { name: "y", type: "string", default: "n" },
  ]);
  assert.deepEqual(parseMlproject("", "x"), {
    name: undefined,
    entryPoints: [],
    env: { kind: "none" },
  });
});

Deno.test("pyFloatRepr() prints floats as Python's repr", () => {
  const table: [number, string][] = [
    [1, "1.0"],
    [0.1, "0.1"],
    [1000, "1000.0"],
    [1e-5, "1e-05"],
    [0.0001, "0.0001"],
    [1e16, "1e+16"],
    [1.5e20, "1.5e+20"],
    [123456789012345.6, "123456789012345.6"],
    [-0, "-0.0"],
    [Infinity, "inf"],
    [NaN, "nan"],
  ];
  for (const [v, want] of table) assert.equal(pyFloatRepr(v), want, String(v));
});

Deno.test("parseMlproject() recognises the environment fields", () => {
  assert.deepEqual(parseMlproject("python_env: envs/python_env.yaml", "x").env, {
    kind: "python_env",
    file: "envs/python_env.yaml",
  });
  assert.deepEqual(parseMlproject("conda_env: ./conda.yaml", "x").env, {
    kind: "conda_env",
    file: "conda.yaml",
  });
  assert.deepEqual(
    parseMlproject(
      "docker_env:\n  image: img:1\n  volumes: [/a:/b]\n  environment: [HOME, [K, 1]]",
      "x",
    ).env,
    { kind: "docker_env", image: "img:1", volumes: ["/a:/b"], environment: ["HOME", ["K", "1"]] },
  );
});

Deno.test("parseMlproject() names the field that is wrongly shaped", () => {
  const table: [string, RegExp][] = [
    ["- a\n- b", /the top level must be a mapping/],
    ["name: [1]", /field "name" must be a string/],
    ["entry_points: [main]", /field "entry_points" must be a mapping/],
    ["entry_points:\n  main: echo hi", /entry point "main" must be a mapping/],
    ["entry_points:\n  main:\n    parameters: {}", /entry point "main" has no command/],
    ["entry_points:\n  main:\n    command: [a]", /entry point "main": field "command"/],
    [
      "entry_points:\n  main:\n    command: x\n    parameters: a",
      /entry point "main": field "parameters" must be a mapping/,
    ],
    [
      "entry_points:\n  main:\n    command: x\n    parameters: {a: [1]}",
      /parameter "a" must be a type name/,
    ],
    [
      "entry_points:\n  main:\n    command: x\n    parameters: {a: {type: 1}}",
      /parameter "a": field "type"/,
    ],
    [
      "entry_points:\n  main:\n    command: x\n    parameters: {a: {default: [1]}}",
      /parameter "a": field "default" must be a scalar/,
    ],
    [
      "python_env: a.yaml\nconda_env: b.yaml",
      /more than one environment field: python_env, conda_env/,
    ],
    ["python_env: ../../etc/passwd", /field "python_env" "..\/..\/etc\/passwd" points outside/],
    ["conda_env: /etc/passwd", /field "conda_env" must be relative/],
    ["python_env: [a]", /field "python_env" must be a path/],
    ["docker_env: {volumes: []}", /field "docker_env.image"/],
    ["docker_env: {image: i, volumes: a}", /field "docker_env.volumes"/],
    ["docker_env: {image: i, environment: [[a]]}", /field "docker_env.environment"/],
    ["a: [", /invalid YAML/],
  ];
  for (const [text, re] of table) {
    assert.throws(() => parseMlproject(text, "p/MLproject"), (e: Error) => {
      assert.match(e.message, /^Cannot parse MLproject "p\/MLproject": /);
      assert.match(e.message, re);
      assert.ok(!e.message.includes("\n"), "one line");
      return true;
    }, text);
  }
});

Deno.test("parseMlproject() refuses alias bombs and oversized files", () => {
  const levels = ["a: &a [x,x,x,x,x,x,x,x,x]"];
  for (let i = 1; i < 9; i++) {
    const prev = String.fromCharCode(96 + i);
    const cur = String.fromCharCode(97 + i);
    levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(",")}]`);
  }
  assert.throws(() => parseMlproject(levels.join("\n"), "bomb"), /invalid YAML: .*alias/i);
  const big = "name: x\n" + "#".repeat(MAX_MLPROJECT_BYTES);
  assert.throws(() => parseMlproject(big, "big"), /larger than/);
});

Deno.test("resolveEntryPoint() finds declared points, .py and .sh files", () => {
  const spec = parseMlproject("entry_points:\n  main:\n    command: echo hi", "x");
  assert.equal(resolveEntryPoint(spec, "main").command, "echo hi");
  assert.equal(resolveEntryPoint(spec, "train.py").command, "python train.py");
  assert.equal(resolveEntryPoint(spec, "my run.sh", "/bin/zsh").command, "/bin/zsh 'my run.sh'");
  assert.equal(resolveEntryPoint(spec, "x; rm -rf ~.py").command, "python 'x; rm -rf ~.py'");
  assert.throws(() => resolveEntryPoint(spec, "train"), /Cannot find entry point "train"/);
});

Deno.test("resolveEntryPoint() says what to run instead of a missing entry point", () => {
  const spec = parseMlproject(
    "entry_points:\n  train:\n    command: a\n  evaluate:\n    command: b",
    "x",
  );
  const files = { dir: "/p", mlproject: "MLproject", scripts: ["prep.py"] };
  assert.throws(() => resolveEntryPoint(spec, "trian", "bash", files), /did you mean "train"\?$/);
  assert.throws(
    () => resolveEntryPoint(spec, "main", "bash", files),
    (e: Error) => e.message.includes('["train", "evaluate"]') && !e.message.includes("mean"),
  );
  // No MLproject at all: the scripts it could run, Python first.
  const none = { entryPoints: [], env: { kind: "none" as const } };
  assert.throws(
    () => resolveEntryPoint(none, "main", "bash", { dir: "/p", scripts: ["a b.py", "z.sh"] }),
    /^MltError: Cannot find entry point "main": "\/p" has no MLproject file; run a script with -e, such as -e 'a b\.py' \(found: a b\.py, z\.sh\)$/,
  );
  assert.throws(
    () => resolveEntryPoint(none, "main", "bash", { dir: "/p", scripts: [] }),
    /has no MLproject file; add one, or a \.py or \.sh script to run with -e <script>\.py$/,
  );
});
