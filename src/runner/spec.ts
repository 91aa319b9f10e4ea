/**
 * The MLproject format (reference §2.1–2.2): find the file in a directory listing, parse its YAML
 * (YAML 1.1 like PyYAML, aliases and size capped), check every field's shape and resolve entry
 * points. Pure: no Deno.*, no file system; project.ts does the reading.
 */
import {
  boolYaml11Tag,
  defineScalarTag,
  floatYaml11Tag,
  load,
  NOT_RESOLVED,
  type Schema,
  YAML11_SCHEMA,
} from "js-yaml";
import { MltError } from "../errors.ts";
import { closest } from "../suggest.ts";
import { posixNormpath } from "../validate.ts";
import { shellQuote } from "./command.ts";

/** Largest MLproject file mlt reads (bytes). */
export const MAX_MLPROJECT_BYTES = 1 << 20;
/** Most YAML aliases (`*ref`) an MLproject may use; stops alias bombs. */
export const MAX_YAML_ALIASES = 20;

/** One declared parameter; `default` is already rendered as Python's `str()` would. */
export interface ParameterSpec {
  name: string;
  type: string;
  default?: string;
}

/** A runnable entry point: declared in the MLproject or a `.py`/`.sh` file name. */
export interface EntryPoint {
  name: string;
  command: string;
  parameters: ParameterSpec[];
  /** True for a `.py`/`.sh` file run directly (the file must exist). */
  script: boolean;
}

/** The environment an MLproject declares; env files are project-relative paths. */
export type DeclaredEnv =
  | { kind: "none" }
  | { kind: "python_env"; file: string }
  | { kind: "conda_env"; file: string }
  | {
    kind: "docker_env";
    image: string;
    volumes: string[];
    environment: (string | [string, string])[];
  };

/** A parsed MLproject. */
export interface ProjectSpec {
  name?: string;
  entryPoints: EntryPoint[];
  env: DeclaredEnv;
}

/** A Python float, kept apart from ints so defaults render as PyYAML + `str()` would (`1.0`). */
class PyFloat {
  constructor(readonly value: number) {}
}

const pyFloatTag = defineScalarTag<PyFloat>("tag:yaml.org,2002:float", {
  implicit: true,
  implicitFirstChars: floatYaml11Tag.implicitFirstChars,
  resolve: (source, explicit, tag) => {
    const v = floatYaml11Tag.resolve(source, explicit, tag);
    return v === NOT_RESOLVED ? NOT_RESOLVED : new PyFloat(v as number);
  },
  identify: () => false,
});
// PyYAML's booleans: YAML 1.1's list without y/Y/n/N (so a parameter named `n` stays `n`).
const PY_BOOL = /^(yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const pyBoolTag = defineScalarTag<boolean>("tag:yaml.org,2002:bool", {
  implicit: true,
  implicitFirstChars: boolYaml11Tag.implicitFirstChars,
  resolve: (source, explicit, tag) =>
    PY_BOOL.test(source) ? boolYaml11Tag.resolve(source, explicit, tag) : NOT_RESOLVED,
  identify: () => false,
});
const SCHEMA: Schema = YAML11_SCHEMA.withTags(pyFloatTag, pyBoolTag);

/** The MLproject file among a directory's entry names (any case; `MLproject` preferred). */
export function findMlprojectName(names: readonly string[]): string | undefined {
  const matches = names.filter((n) => n.toLowerCase() === "mlproject").sort();
  return matches.includes("MLproject") ? "MLproject" : matches[0];
}

/** Python's `repr(float)`: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
export function pyFloatRepr(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (v === 0) return Object.is(v, -0) ? "-0.0" : "0.0";
  const [mantissa, expText] = v.toExponential().split("e");
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    return `${mantissa}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/** A YAML scalar as Python's `str()` prints the value PyYAML loaded. */
export function pyStr(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (v instanceof PyFloat) return pyFloatRepr(v.value);
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "string") return String(v);
  if (v instanceof Date) {
    const iso = v.toISOString();
    return iso.endsWith("T00:00:00.000Z")
      ? iso.slice(0, 10)
      : iso.slice(0, 19).replace("T", " ") + (iso.endsWith(".000Z") ? "" : iso.slice(19, 23));
  }
  throw new TypeError("not a scalar");
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date) &&
    !(v instanceof PyFloat);
}

/** Parses MLproject text; `path` names the file in error messages. */
export function parseMlproject(text: string, path: string): ProjectSpec {
  const fail = (why: string, cause?: unknown) =>
    new MltError("INVALID_PARAMETER_VALUE", `Cannot parse MLproject "${path}": ${why}`, { cause });
  if (text.length > MAX_MLPROJECT_BYTES) {
    throw fail(`the file is larger than ${MAX_MLPROJECT_BYTES} bytes`);
  }
  let doc: unknown;
  if (text.trim() !== "") {
    try {
      doc = load(text, { schema: SCHEMA, maxAliases: MAX_YAML_ALIASES, filename: path });
    } catch (e) {
      const first = String((e as Error)?.message ?? e).split("\n")[0];
      throw fail(`invalid YAML: ${first}`, e);
    }
  }
  if (doc === null || doc === undefined) doc = {};
  if (!isMapping(doc)) throw fail("the top level must be a mapping");

  let name: string | undefined;
  if (doc.name !== undefined && doc.name !== null) {
    if (typeof doc.name !== "string" && typeof doc.name !== "number") {
      throw fail(`field "name" must be a string`);
    }
    name = String(doc.name);
  }
  return { name, entryPoints: parseEntryPoints(doc.entry_points, fail), env: parseEnv(doc, fail) };
}

type Fail = (why: string) => MltError;

function parseEntryPoints(raw: unknown, fail: Fail): EntryPoint[] {
  if (raw === undefined || raw === null) return [];
  if (!isMapping(raw)) throw fail(`field "entry_points" must be a mapping of name to entry point`);
  return Object.entries(raw).map(([epName, ep]) => {
    const where = `entry point "${epName}"`;
    if (!isMapping(ep)) throw fail(`${where} must be a mapping with a "command"`);
    if (ep.command === undefined || ep.command === null || ep.command === "") {
      throw fail(`${where} has no command`);
    }
    if (typeof ep.command !== "string") throw fail(`${where}: field "command" must be a string`);
    return {
      name: epName,
      command: ep.command,
      parameters: parseParameters(ep.parameters, where, fail),
      script: false,
    };
  });
}

function parseParameters(raw: unknown, where: string, fail: Fail): ParameterSpec[] {
  if (raw === undefined || raw === null) return [];
  if (!isMapping(raw)) throw fail(`${where}: field "parameters" must be a mapping`);
  return Object.entries(raw).map(([name, spec]) => {
    const field = `${where}: parameter "${name}"`;
    if (typeof spec === "string") return { name, type: spec };
    if (spec === null) return { name, type: "string" };
    if (!isMapping(spec)) {
      throw fail(`${field} must be a type name or a mapping with "type" and "default"`);
    }
    const type = spec.type ?? "string";
    if (typeof type !== "string") throw fail(`${field}: field "type" must be a string`);
    let dflt: string | undefined;
    try {
      dflt = pyStr(spec.default);
    } catch {
      throw fail(`${field}: field "default" must be a scalar`);
    }
    return dflt === undefined ? { name, type } : { name, type, default: dflt };
  });
}

function envFile(raw: unknown, field: string, fail: Fail): string {
  if (typeof raw !== "string" || raw === "") {
    throw fail(`field "${field}" must be a path relative to the project`);
  }
  return checkProjectRelative(raw, `field "${field}"`, fail);
}

/** Checks that `p` is a relative path that stays inside the project; returns it normalized. */
export function checkProjectRelative(p: string, what: string, fail: Fail): string {
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\\]/.test(p)) throw fail(`${what} contains a control character or "\\"`);
  if (p.startsWith("/")) throw fail(`${what} must be relative to the project, not "${p}"`);
  const norm = posixNormpath(p);
  if (norm === ".." || norm.startsWith("../")) {
    throw fail(`${what} "${p}" points outside the project`);
  }
  return norm;
}

function parseEnv(doc: Record<string, unknown>, fail: Fail): DeclaredEnv {
  const present = ["python_env", "conda_env", "docker_env"].filter((k) =>
    doc[k] !== undefined && doc[k] !== null
  );
  if (present.length > 1) {
    throw fail(`the project declares more than one environment field: ${present.join(", ")}`);
  }
  if (doc.docker_env !== undefined && doc.docker_env !== null) {
    const d = doc.docker_env;
    if (!isMapping(d)) throw fail(`field "docker_env" must be a mapping with an "image"`);
    if (typeof d.image !== "string" || d.image === "") {
      throw fail(`field "docker_env.image" must be a non-empty string`);
    }
    const volumes = d.volumes ?? [];
    if (!Array.isArray(volumes) || volumes.some((v) => typeof v !== "string")) {
      throw fail(`field "docker_env.volumes" must be a list of strings`);
    }
    const environment = d.environment ?? [];
    const okItem = (e: unknown) =>
      typeof e === "string" ||
      (Array.isArray(e) && e.length === 2 && typeof e[0] === "string" &&
        pyStr(e[1]) !== undefined);
    if (!Array.isArray(environment) || !environment.every(okItem)) {
      throw fail(
        `field "docker_env.environment" must be a list of names or [name, value] pairs`,
      );
    }
    return {
      kind: "docker_env",
      image: d.image,
      volumes: volumes as string[],
      environment: environment.map((e) =>
        typeof e === "string" ? e : [e[0] as string, pyStr(e[1])!] as [string, string]
      ),
    };
  }
  if (doc.python_env !== undefined && doc.python_env !== null) {
    return { kind: "python_env", file: envFile(doc.python_env, "python_env", fail) };
  }
  if (doc.conda_env !== undefined && doc.conda_env !== null) {
    return { kind: "conda_env", file: envFile(doc.conda_env, "conda_env", fail) };
  }
  return { kind: "none" };
}

/** What the project directory holds besides the spec, for a helpful "no such entry point". */
export interface ProjectFiles {
  /** The project directory. */
  dir: string;
  /** The MLproject file's name, when there is one. */
  mlproject?: string;
  /** The `.py` and `.sh` files at the project's top level, `.py` first. */
  scripts: readonly string[];
}

/** The entry point called `name`: a declared one, else a `.py`/`.sh` file run with `shell`. */
export function resolveEntryPoint(
  spec: ProjectSpec,
  name: string,
  shell = "bash",
  files?: ProjectFiles,
): EntryPoint {
  const declared = spec.entryPoints.find((e) => e.name === name);
  if (declared) return declared;
  if (name.endsWith(".py")) {
    return { name, command: `python ${shellQuote(name)}`, parameters: [], script: true };
  }
  if (name.endsWith(".sh")) {
    return {
      name,
      command: `${shellQuote(shell)} ${shellQuote(name)}`,
      parameters: [],
      script: true,
    };
  }
  throw new MltError("INVALID_PARAMETER_VALUE", noEntryPoint(spec, name, files));
}

// Why `name` is no entry point, and what the user can run instead.
function noEntryPoint(spec: ProjectSpec, name: string, files?: ProjectFiles): string {
  const scripts = files?.scripts ?? [];
  const tryScript = scripts.length
    ? `run a script with -e, such as -e ${shellQuote(scripts[0])} (found: ${scripts.join(", ")})`
    : "add one, or a .py or .sh script to run with -e <script>.py";
  if (files && !files.mlproject) {
    return `Cannot find entry point "${name}": "${files.dir}" has no MLproject file; ${tryScript}`;
  }
  const declared = spec.entryPoints.map((e) => e.name);
  const meant = closest(name, declared);
  return `Cannot find entry point "${name}": it is not among the entry points ` +
    `[${declared.map((n) => `"${n}"`).join(", ")}] and is not a runnable script (supported ` +
    `script file extensions: .py, .sh)${meant ? `; did you mean "${meant}"?` : ""}`;
}
