import assert from "node:assert/strict";
import { parsePythonEnv, requirementRef, versionMatches } from "./python_env.ts";

Deno.test("parsePythonEnv() reads MLflow's python_env.yaml", () => {
  assert.deepEqual(
    parsePythonEnv(
      'python: "3.10.12"\nbuild_dependencies: [pip, "setuptools>=60"]\n' +
        'dependencies:\n  - mlflow==2.22.1\n  - "-r requirements.txt"\n',
      "p.yaml",
    ),
    {
      python: "3.10.12",
      buildDependencies: ["pip", "setuptools>=60"],
      dependencies: ["mlflow==2.22.1", "-r requirements.txt"],
    },
  );
  assert.deepEqual(parsePythonEnv("", "p.yaml"), {
    python: undefined,
    buildDependencies: [],
    dependencies: [],
  });
  assert.deepEqual(parsePythonEnv("python: 3.8\ndependencies: []\n", "p.yaml").python, "3.8");
});

Deno.test("parsePythonEnv() names the field that is wrong", () => {
  const table: [string, RegExp][] = [
    ["python: [3]\n", /field "python" must be a version/],
    ["python: latest\n", /field "python" must be a version such as "3.11", got "latest"/],
    ["dependencies: numpy\n", /field "dependencies" must be a list/],
    ["build_dependencies: [{a: 1}]\n", /field "build_dependencies" must be a list/],
    ["dependancies: []\n", /unknown field "dependancies"/],
    ["- a\n", /top level must be a mapping/],
    ["a: [\n", /invalid YAML/],
    ['dependencies: ["a\\nb"]\n', /control character/],
  ];
  for (const [text, re] of table) assert.throws(() => parsePythonEnv(text, "p.yaml"), re, text);
});

Deno.test("requirementRef() finds -r and -c lines in every spelling", () => {
  const table: [string, ReturnType<typeof requirementRef>][] = [
    ["-r requirements.txt", { flag: "-r", file: "requirements.txt" }],
    ["-rreq.txt", { flag: "-r", file: "req.txt" }],
    ["--requirement=sub/req.txt", { flag: "-r", file: "sub/req.txt" }],
    ["--requirement sub/req.txt", { flag: "-r", file: "sub/req.txt" }],
    ["-c constraints.txt", { flag: "-c", file: "constraints.txt" }],
    ["--constraint=c.txt", { flag: "-c", file: "c.txt" }],
    ["numpy==1.0", undefined],
    ["--index-url https://x", undefined],
    ["requests", undefined],
  ];
  for (const [line, want] of table) assert.deepEqual(requirementRef(line), want, line);
});

Deno.test("versionMatches() compares the parts the request gives", () => {
  const table: [string, string, boolean][] = [
    ["3.11", "3.11.7", true],
    ["3.11.7", "3.11.7", true],
    ["3.11.4", "3.11.7", false],
    ["3.1", "3.11.7", false],
    ["3", "3.12.0", true],
    ["3.10", "3.9.18", false],
  ];
  for (const [want, have, ok] of table) {
    assert.equal(versionMatches(want, have), ok, `${want} ${have}`);
  }
});
