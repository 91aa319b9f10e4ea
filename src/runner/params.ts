/**
 * Binds `-P name=value` arguments to an entry point's declared parameters (reference §2.3), more
 * strictly than MLflow: `int`/`float` are validated, undeclared keys must be safe names, NUL bytes
 * are refused. Pure: `path` values are checked for existence by run_project.ts.
 */
import { MltError } from "../errors.ts";
import type { Param } from "../model.ts";
import { closest } from "../suggest.ts";
import type { EntryPoint } from "./spec.ts";

const usage = new WeakSet<Error>();

/** A usage mistake on the command line: the CLI exits 2 for these. */
export function usageError(message: string): MltError {
  const e = new MltError("INVALID_PARAMETER_VALUE", message);
  usage.add(e);
  return e;
}

/** True when `e` came from `usageError`. */
export function isUsageError(e: unknown): boolean {
  return e instanceof Error && usage.has(e);
}

/** Keys an undeclared parameter may have (they reach the shell as `--key`). */
export const SAFE_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Parses repeated `-P name=value` arguments (split on the first `=`) in the order given. */
export function parseParamArgs(items: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq <= 0) {
      throw usageError(`Invalid format for -P parameter: "${item}". Use -P name=value.`);
    }
    const key = item.slice(0, eq);
    if (out.has(key)) throw usageError(`Repeated parameter: "${key}"`);
    out.set(key, item.slice(eq + 1));
  }
  return out;
}

/** A declared parameter's final value (user value or default) and its type. */
export interface BoundParam {
  name: string;
  type: string;
  value: string;
}

/** The parameters of one run: declared ones in declaration order, then extras in user order. */
export interface Binding {
  declared: BoundParam[];
  extras: [string, string][];
  /** One line per undeclared key that looks like a typo of a declared one. */
  warnings: string[];
}

const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?((\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|inf|infinity|nan)$/i;
const URI_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/** Checks `value` against a declared type; returns an error message or undefined. */
export function checkType(name: string, type: string, value: string): string | undefined {
  switch (type) {
    case "int":
      return INT.test(value) ? undefined : `Parameter "${name}" must be an int, got "${value}"`;
    case "float":
      return FLOAT.test(value) ? undefined : `Parameter "${name}" must be a float, got "${value}"`;
    case "uri":
      return URI_SCHEME.test(value)
        ? undefined
        : `Parameter "${name}" must be a URI with a scheme (such as file:// or s3://), got "${value}"`;
    case "path":
      return value === "" ? `Parameter "${name}" must be a path, got ""` : undefined;
    default:
      return undefined;
  }
}

/** Binds `given` to `entry`'s parameters: fills defaults, checks types, names all missing ones. */
export function bindParams(entry: EntryPoint, given: ReadonlyMap<string, string>): Binding {
  for (const [key, value] of given) {
    if (value.includes("\0")) throw usageError(`Parameter "${key}" contains a NUL byte`);
  }
  const names = entry.parameters.map((p) => p.name);
  const declaredNames = new Set(names);
  // Undeclared keys that are near misses of a declared name (`nme` for `name`).
  const typos = [...given.keys()].filter((k) => !declaredNames.has(k))
    .map((key) => ({ key, meant: closest(key, names) }))
    .filter((t): t is { key: string; meant: string } => t.meant !== undefined);
  const notAParam = (t: { key: string }) =>
    `"${t.key}" is not a parameter of entry point "${entry.name}"`;
  const missing = entry.parameters.filter((p) => p.default === undefined && !given.has(p.name));
  if (missing.length) {
    const hints = typos.filter((t) => missing.some((p) => p.name === t.meant))
      .map((t) => `; ${notAParam(t)}: did you mean "${t.meant}"?`);
    const add = `; add ${missing.map((p) => `-P ${p.name}=<value>`).join(" ")}`;
    throw usageError(
      `No value given for missing parameters: ${missing.map((p) => `"${p.name}"`).join(", ")}` +
        (hints.length ? hints.join("") : add),
    );
  }
  const declared = entry.parameters.map((p) => ({
    name: p.name,
    type: p.type,
    value: given.get(p.name) ?? p.default!,
  }));
  const problems = declared.map((p) => checkType(p.name, p.type, p.value)).filter((m) => m);
  if (problems.length) throw usageError(problems.join("; "));
  const extras: [string, string][] = [];
  for (const [key, value] of given) {
    if (declaredNames.has(key)) continue;
    if (!SAFE_KEY.test(key)) {
      throw usageError(
        `Invalid parameter name "${key}": undeclared parameters must match ${SAFE_KEY.source}`,
      );
    }
    extras.push([key, value]);
  }
  // MLflow passes undeclared keys on as `--key value`, and so does mlt; a likely typo is said.
  const warnings = typos.map((t) =>
    `warning: ${notAParam(t)} (did you mean "${t.meant}"?); passing it on as --${t.key}, as ` +
    "MLflow does"
  );
  return { declared, extras, warnings };
}

/** The params to log: raw values (not shell-quoted as MLflow logs them), declared then extras. */
export function paramsToLog(b: Binding): Param[] {
  return [
    ...b.declared.map((p) => ({ key: p.name, value: p.value })),
    ...b.extras.map(([key, value]) => ({ key, value })),
  ];
}
