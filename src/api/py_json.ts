/**
 * A refused request value as MLflow's Python renders it in a 400 message: `json.dumps` of the
 * value (sorted keys, no spaces) and its Python type name. JSON.parse forgets how a number was
 * written (`9.0` and `9` are one double; `12345678901234567890` loses digits), which Python keeps
 * (a float and an int): `parseWithSources` re-reads a body keeping each number's source text, as
 * a `JsonNumber`, only when an error message is being built. Pure.
 */

/** A JSON number with the text it was written as. */
export class JsonNumber {
  constructor(readonly value: number, readonly source: string) {}

  /** True for a literal Python reads as a float (a fraction or an exponent). */
  get isFloat(): boolean {
    return /[.eE]/.test(this.source);
  }
}

/** Longest rendering of a refused value in an error message. */
const PREVIEW_CHARS = 200;

/** JSON.parse, with every number kept as a JsonNumber holding its source text. */
export function parseWithSources(text: string): unknown {
  return JSON.parse(
    text,
    (_key, value, context?: { source?: string }) =>
      typeof value === "number" && context?.source !== undefined
        ? new JsonNumber(value, context.source)
        : value,
  );
}

/** Python's `repr` of a float: shortest round-trip digits, exponent outside [1e-4, 1e16). */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [mantissa, e] = Math.abs(x).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const exp = Number(e);
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  const whole = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
  return `${sign}${whole}.${digits.slice(exp + 1) || "0"}`;
}

function numberText(x: number | JsonNumber): string {
  if (x instanceof JsonNumber) {
    if (x.isFloat) return pyFloatRepr(x.value);
    return x.source === "-0" ? "0" : x.source; // Python ints are exact
  }
  if (!Number.isFinite(x)) return pyFloatRepr(x);
  return Number.isInteger(x) ? String(x) : pyFloatRepr(x);
}

/**
 * Python's `json.dumps(v, sort_keys=True, separators=(",", ":"))`, as MLflow quotes a refused
 * value, cut off after PREVIEW_CHARS so a huge value is neither echoed back nor walked in full.
 */
export function pyDump(v: unknown): string {
  let out = "";
  const full = () => out.length > PREVIEW_CHARS;
  const walk = (x: unknown): void => {
    if (full()) return;
    if (typeof x === "number" || x instanceof JsonNumber) out += numberText(x);
    else if (typeof x === "string") out += JSON.stringify(x.slice(0, PREVIEW_CHARS + 1));
    else if (Array.isArray(x)) {
      out += "[";
      for (let i = 0; i < x.length && !full(); i++) {
        if (i) out += ",";
        walk(x[i]);
      }
      out += "]";
    } else if (x !== null && typeof x === "object") {
      const keys: string[] = [];
      for (const k in x) if (keys.push(k) > PREVIEW_CHARS) break;
      out += "{";
      keys.sort().forEach((k, i) => {
        if (full()) return;
        out += (i ? "," : "") + JSON.stringify(k) + ":";
        walk((x as Record<string, unknown>)[k]);
      });
      out += "}";
    } else out += JSON.stringify(x) ?? "null";
  };
  walk(v);
  return full() ? out.slice(0, PREVIEW_CHARS) + "..." : out;
}

/** The Python type name of a JSON value (`float` for `9.0` when its source is known). */
export function pyType(v: unknown): string {
  if (v === null || v === undefined) return "NoneType";
  if (v instanceof JsonNumber) return v.isFloat ? "float" : "int";
  if (typeof v === "string") return "str";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  return Array.isArray(v) ? "list" : "dict";
}
