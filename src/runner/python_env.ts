/**
 * `python_env.yaml` (reference §2.1): the Python version, `build_dependencies` and
 * `dependencies` (pip requirement lines, `-r file` included), checked field by field. Pure: no
 * Deno.*; env_setup.ts reads the files and runs pip.
 */
import { load } from "js-yaml";
import { MltError } from "../errors.ts";
import { MAX_MLPROJECT_BYTES, MAX_YAML_ALIASES } from "./spec.ts";

/** A parsed python_env.yaml. */
export interface PythonEnvSpec {
  /** Requested version ("3.11", "3.11.7"); absent means the Python on PATH. */
  python?: string;
  buildDependencies: string[];
  dependencies: string[];
}

const FIELDS = new Set(["python", "build_dependencies", "dependencies"]);

/** Parses python_env.yaml text; `path` names the file in errors. */
export function parsePythonEnv(text: string, path: string): PythonEnvSpec {
  const fail = (why: string) =>
    new MltError("INVALID_PARAMETER_VALUE", `Cannot parse python_env file "${path}": ${why}`);
  if (text.length > MAX_MLPROJECT_BYTES) {
    throw fail(`the file is larger than ${MAX_MLPROJECT_BYTES} bytes`);
  }
  let doc: unknown;
  try {
    if (text.trim() !== "") doc = load(text, { maxAliases: MAX_YAML_ALIASES, filename: path });
  } catch (e) {
    throw fail(`invalid YAML: ${String((e as Error)?.message ?? e).split("\n")[0]}`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw fail("the top level must be a mapping");
  const d = doc as Record<string, unknown>;
  for (const key of Object.keys(d)) {
    if (!FIELDS.has(key)) {
      throw fail(`unknown field "${key}" (expected python, build_dependencies, dependencies)`);
    }
  }
  let python: string | undefined;
  if (d.python !== undefined && d.python !== null) {
    if (typeof d.python !== "string" && typeof d.python !== "number") {
      throw fail(`field "python" must be a version such as "3.11"`);
    }
    python = String(d.python).trim();
    if (!/^\d+(\.\d+){0,2}$/.test(python)) {
      throw fail(`field "python" must be a version such as "3.11", got "${python}"`);
    }
  }
  const list = (field: string): string[] => {
    const v = d[field];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string" && typeof x !== "number")) {
      throw fail(`field "${field}" must be a list of pip requirements`);
    }
    const lines = v.map((x) => String(x).trim());
    // deno-lint-ignore no-control-regex
    if (lines.some((l) => /[\x00-\x1f]/.test(l))) {
      throw fail(`field "${field}" has a requirement with a control character or a line break`);
    }
    return lines.filter((l) => l !== "");
  };
  return {
    python,
    buildDependencies: list("build_dependencies"),
    dependencies: list("dependencies"),
  };
}

/** A `-r file` / `-c file` line (any of pip's spellings): the flag and the file it names. */
export interface RequirementRef {
  flag: "-r" | "-c";
  file: string;
}

const REF = /^(-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+|(?<=^-[rc]))(\S.*)$/;

/** The file a requirement line includes, if it is a `-r`/`-c` line. */
export function requirementRef(line: string): RequirementRef | undefined {
  const m = REF.exec(line.trim());
  if (!m) return undefined;
  const flag = m[1] === "-r" || m[1] === "--requirement" ? "-r" : "-c";
  return { flag, file: m[2].trim() };
}

/** Whether version `have` satisfies the request `want` ("3.11" matches any 3.11.x). */
export function versionMatches(want: string, have: string): boolean {
  const w = want.split(".");
  const h = have.split(".");
  return w.every((part, i) => h[i] !== undefined && Number(part) === Number(h[i]));
}

/** "3.11.7" → "3.11". */
export function majorMinor(version: string): string {
  return version.split(".").slice(0, 2).join(".");
}
