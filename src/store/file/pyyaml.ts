/**
 * A YAML writer that produces the bytes MLflow's `yaml.dump(..., default_flow_style=False,
 * allow_unicode=True, sort_keys=True, Dumper=CSafeDumper)` produces (libyaml's emitter) for flat
 * mappings of scalars and one level of nested mappings: the same choice between plain,
 * single- and double-quoted styles, the same escapes, and the same folding of long lines at 80
 * columns. js-yaml differs on exactly these (long or multi-line strings, such as descriptions).
 * Pure: no I/O.
 */

/** A value this writer emits. */
export type YamlScalar = string | number | boolean | null;
/** A mapping of scalars, or of scalars and mappings of scalars. */
export type YamlMap = { [key: string]: YamlScalar | { [key: string]: YamlScalar } };

const BEST_WIDTH = 80;
const INDENT = 2;
const BREAKS = "\n\x85\u2028\u2029";
const BLANKZ = "\0 \t\r\n\x85\u2028\u2029";

// PyYAML's implicit resolvers (YAML 1.1): a plain scalar matching one of these would read back as
// a bool, int, float, null, timestamp, merge key or value, so a string like that is quoted.
const IMPLICIT = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  /^(?:<<)$/,
  /^(?:~|null|Null|NULL|)$/,
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/,
  /^(?:=)$/,
];

// libyaml's IS_PRINTABLE: no C1 controls (NEL included), no BOM, nothing beyond the BMP (so an
// emoji makes a string double-quoted and escaped, as MLflow's files show).
function printable(c: number): boolean {
  return c === 0x0a || (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xd7ff) ||
    (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff);
}

interface Analysis {
  empty: boolean;
  multiline: boolean;
  blockPlain: boolean;
  singleQuoted: boolean;
}

// libyaml's yaml_emitter_analyze_scalar, reduced to what a block mapping needs.
function analyze(chars: string[]): Analysis {
  if (chars.length === 0) {
    return { empty: true, multiline: false, blockPlain: false, singleQuoted: true };
  }
  let blockIndicators = false, lineBreaks = false, special = false;
  let leadingSpace = false, leadingBreak = false, trailingSpace = false, trailingBreak = false;
  let breakSpace = false, spaceBreak = false, previousSpace = false, previousBreak = false;
  const text = chars.join("");
  if (text.startsWith("---") || text.startsWith("...")) blockIndicators = true;
  let precededByWs = true;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    const followedByWs = i + 1 >= chars.length || BLANKZ.includes(chars[i + 1]);
    if (i === 0) {
      if ("#,[]{}&*!|>'\"%@`".includes(ch)) blockIndicators = true;
      if ((ch === "?" || ch === ":") && followedByWs) blockIndicators = true;
      if (ch === "-" && followedByWs) blockIndicators = true;
    } else {
      if (ch === ":" && followedByWs) blockIndicators = true;
      if (ch === "#" && precededByWs) blockIndicators = true;
    }
    const code = ch.codePointAt(0)!;
    if (!printable(code) || code === 0xfeff) special = true;
    if (BREAKS.includes(ch) || ch === "\r") lineBreaks = true;
    if (ch === " ") {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (BREAKS.includes(ch) || ch === "\r") {
      if (i === 0) leadingBreak = true;
      if (i === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = previousBreak = false;
    }
    precededByWs = BLANKZ.includes(ch);
  }
  let blockPlain = true, singleQuoted = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) blockPlain = false;
  if (breakSpace) blockPlain = singleQuoted = false;
  if (spaceBreak || special) blockPlain = singleQuoted = false;
  if (lineBreaks || blockIndicators) blockPlain = false;
  return { empty: false, multiline: lineBreaks, blockPlain, singleQuoted };
}

const ESCAPES: Record<string, string> = {
  "\0": "0",
  "\x07": "a",
  "\b": "b",
  "\t": "t",
  "\n": "n",
  "\v": "v",
  "\f": "f",
  "\r": "r",
  "\x1b": "e",
  '"': '"',
  "\\": "\\",
  "\x85": "N",
  "\xa0": "_",
  "\u2028": "L",
  "\u2029": "P",
};

/** The emitter's output and cursor, as libyaml tracks them. */
class Writer {
  out = "";
  column = 0;
  whitespace = true;
  indention = true;

  write(s: string): void {
    this.out += s;
    this.column += [...s].length;
  }

  lineBreak(s = "\n"): void {
    this.out += s;
    this.column = 0;
    this.whitespace = this.indention = true;
  }

  indent(indent: number): void {
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) {
      this.lineBreak();
    }
    if (this.column < indent) this.write(" ".repeat(indent - this.column));
    this.whitespace = this.indention = true;
  }

  indicator(s: string, needWhitespace: boolean, whitespace = false, indention = false): void {
    this.write(this.whitespace || !needWhitespace ? s : " " + s);
    this.whitespace = whitespace;
    this.indention = this.indention && indention;
  }
}

function writePlain(w: Writer, chars: string[], indent: number, breaks: boolean): void {
  if (!w.whitespace && chars.length) w.write(" ");
  let spaces = false;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (ch === " ") {
      if (breaks && !spaces && w.column > BEST_WIDTH && chars[i + 1] !== " ") w.indent(indent);
      else w.write(ch);
      spaces = true;
    } else {
      w.write(ch);
      w.indention = false;
      spaces = false;
    }
  }
  w.whitespace = w.indention = false;
}

function writeSingle(w: Writer, chars: string[], indent: number, breaks: boolean): void {
  w.indicator("'", true);
  let spaces = false, inBreaks = false;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (ch === " ") {
      const canFold = breaks && !spaces && w.column > BEST_WIDTH && i !== 0 &&
        i !== chars.length - 1 && chars[i + 1] !== " ";
      if (canFold) w.indent(indent);
      else w.write(ch);
      spaces = true;
    } else if (BREAKS.includes(ch)) {
      if (!inBreaks && ch === "\n") w.lineBreak();
      w.lineBreak(ch);
      w.indention = true;
      inBreaks = true;
    } else {
      if (inBreaks) w.indent(indent);
      w.write(ch === "'" ? "''" : ch);
      w.indention = false;
      spaces = inBreaks = false;
    }
  }
  if (inBreaks) w.indent(indent);
  w.indicator("'", false);
}

function escape(ch: string): string {
  if (ch in ESCAPES) return "\\" + ESCAPES[ch];
  const c = ch.codePointAt(0)!;
  if (c <= 0xff) return "\\x" + c.toString(16).toUpperCase().padStart(2, "0");
  if (c <= 0xffff) return "\\u" + c.toString(16).toUpperCase().padStart(4, "0");
  return "\\U" + c.toString(16).toUpperCase().padStart(8, "0");
}

function writeDouble(w: Writer, chars: string[], indent: number, breaks: boolean): void {
  w.indicator('"', true);
  let spaces = false;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    const c = ch.codePointAt(0)!;
    if (!printable(c) || c === 0xfeff || BREAKS.includes(ch) || ch === '"' || ch === "\\") {
      w.write(escape(ch));
      spaces = false;
    } else if (ch === " ") {
      if (breaks && !spaces && w.column > BEST_WIDTH && i !== 0 && i !== chars.length - 1) {
        w.indent(indent);
        if (chars[i + 1] === " ") w.write("\\");
      } else w.write(ch);
      spaces = true;
    } else {
      w.write(ch);
      spaces = false;
    }
  }
  w.indicator('"', false);
}

// One scalar; `simpleKey` is the key context (no folding, no multi-line plain or quoted keys).
function writeScalar(w: Writer, v: YamlScalar, indent: number, simpleKey: boolean): void {
  if (v === null) return writePlain(w, [..."null"], indent, false);
  if (typeof v !== "string") return writePlain(w, [...String(v)], indent, false);
  const chars = [...v];
  const a = analyze(chars);
  const breaks = !simpleKey;
  const implicitStr = !IMPLICIT.some((re) => re.test(v));
  if (simpleKey && a.multiline) return writeDouble(w, chars, indent, breaks);
  if (implicitStr && a.blockPlain && !(simpleKey && a.empty)) {
    return writePlain(w, chars, indent, breaks);
  }
  if (a.singleQuoted) return writeSingle(w, chars, indent, breaks);
  writeDouble(w, chars, indent, breaks);
}

// libyaml takes a key as a simple `key:` when it is short and on one line, else as `? key`.
function isSimpleKey(key: string): boolean {
  return key !== "" && !/[\n\r\x85\u2028\u2029]/.test(key) &&
    new TextEncoder().encode(key).length <= 128;
}

// Python sorts strings by code point; JS's default order is by UTF-16 unit.
function byCodePoint(a: string, b: string): number {
  const x = [...a], y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d) return d;
  }
  return x.length - y.length;
}

function writeMapping(w: Writer, map: YamlMap, indent: number): void {
  const keys = Object.keys(map).sort(byCodePoint);
  for (const key of keys) {
    w.indent(indent);
    const value = map[key];
    if (isSimpleKey(key)) {
      writeScalar(w, key, indent + INDENT, true);
      w.indicator(":", false);
    } else {
      w.indicator("?", true, false, true);
      writeScalar(w, key, indent + INDENT, false);
      w.indent(indent);
      w.indicator(":", true, false, true);
    }
    if (value !== null && typeof value === "object") {
      const nested = Object.keys(value).length;
      if (nested === 0) w.indicator("{}", true);
      else writeMapping(w, value as YamlMap, indent + INDENT);
    } else writeScalar(w, value, indent + INDENT, false);
  }
}

/** The YAML text of `map`, byte for byte as MLflow's PyYAML (libyaml) dump writes it. */
export function dumpPyYaml(map: YamlMap): string {
  const w = new Writer();
  if (Object.keys(map).length === 0) return "{}\n";
  writeMapping(w, map, 0);
  w.lineBreak();
  return w.out;
}
