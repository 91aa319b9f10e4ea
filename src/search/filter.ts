/**
 * MLflow search filter strings → a flat AND-list of comparisons (reference §6.1, §6.4).
 * search/ is pure: it imports only errors.ts and model.ts, never Deno.*, a store or I/O.
 * Positions in messages are 1-based character positions in the filter string.
 */
import { invalidParam, type MltError } from "../errors.ts";

/** What a comparison or sort key refers to. */
export type Entity = "metric" | "param" | "tag" | "attribute" | "dataset";
/** Every comparator, upper-cased. */
export const COMPARATORS = [
  ...["=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE"] as const,
  ...["IN", "NOT IN", "IS NULL", "IS NOT NULL"] as const,
] as const;
/** A comparison operator, upper-cased. */
export type Comparator = typeof COMPARATORS[number];

/** One parsed comparison; attribute keys are canonical (`start_time`, not `created`). */
export interface Comparison {
  entity: Entity;
  key: string;
  comparator: Comparator;
  value: string | number | string[] | null;
}

/**
 * One lexical token; `pos` is its 0-based offset, `text` its exact source text. "quoted" is a lone
 * double-quoted name, which is a key or a string value depending on where it stands (as in MLflow).
 */
export interface Token {
  kind:
    | "ident"
    | "quoted"
    | "string"
    | "number"
    | "op"
    | "lparen"
    | "rparen"
    | "comma"
    | "semicolon";
  text: string;
  pos: number;
}

/** Builds the error for one problem in a filter or order_by clause. */
export type Fail = (detail: string) => MltError;

const NUMBER = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?/y;
const WORD_START = /[\p{L}\p{N}_$#]/u;
// Unquoted keys may also hold '-', '/' and ':' (valid in MLflow keys), a superset of MLflow.
const WORD_CHAR = /[\p{L}\p{N}_$#:\/\-]/u;
const OP_CHARS = "<>=!~";

/** " at position N" (1-based) for messages. */
export function at(pos: number): string {
  return ` at position ${pos + 1}`;
}

function closeQuote(src: string, start: number, fail: Fail): number {
  const q = src[start];
  for (let i = start + 1; i < src.length; i++) {
    const c = src[i];
    if (c === "\\" && q !== "`") i++;
    else if (c === q && src[i + 1] === q) i++;
    else if (c === q) return i + 1;
  }
  throw fail(`unterminated ${q === "`" ? "backtick" : "quote"} ${q}${at(start)}`);
}

function isSegmentStart(c: string | undefined): boolean {
  return c !== undefined && (c === "`" || c === '"' || WORD_START.test(c));
}

function identEnd(src: string, start: number, fail: Fail): number {
  let i = start;
  for (;;) {
    if (src[i] === "`" || src[i] === '"') i = closeQuote(src, i, fail);
    else while (i < src.length && WORD_CHAR.test(src[i])) i++;
    if (src[i] !== ".") return i;
    i++;
    if (!isSegmentStart(src[i])) return i;
  }
}

/** Splits a filter or order_by clause into tokens. */
export function tokenize(src: string, fail: Fail): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    let kind: Token["kind"];
    NUMBER.lastIndex = i;
    const num = NUMBER.exec(src);
    if (num && !(src[i + num[0].length] ?? " ").match(WORD_CHAR)) {
      kind = "number";
      i += num[0].length;
    } else if (c === "'") {
      kind = "string";
      i = closeQuote(src, i, fail);
    } else if (isSegmentStart(c)) {
      i = identEnd(src, i, fail);
      kind = c === '"' && closeQuote(src, start, fail) === i ? "quoted" : "ident";
    } else if (OP_CHARS.includes(c)) {
      kind = "op";
      while (i < src.length && OP_CHARS.includes(src[i])) i++;
    } else if (c === "(" || c === ")" || c === "," || c === ";") {
      kind = c === "(" ? "lparen" : c === ")" ? "rparen" : c === "," ? "comma" : "semicolon";
      i++;
    } else {
      throw fail(`unexpected character '${c}'${at(i)}`);
    }
    out.push({ kind, text: src.slice(start, i), pos: start });
  }
  return out;
}

/** True when `tok` is the bare keyword `word` (case-insensitive). */
export function isWord(tok: Token | undefined, word: string): boolean {
  return tok?.kind === "ident" && tok.text.toUpperCase() === word;
}

function unwrap(s: string, q: string): string {
  return s.length >= 2 && s.startsWith(q) && s.endsWith(q) ? s.slice(1, -1) : s;
}

/** Splits `entity.key` at the first dot outside quotes; strips quotes and backticks as MLflow does. */
export function splitIdentifier(tok: Token, fail: Fail): { entity?: string; key: string } {
  const t = tok.text;
  let dot = -1;
  for (let i = 0; i < t.length && dot < 0; i++) {
    if (t[i] === "`" || t[i] === '"') i = closeQuote(t, i, fail) - 1;
    else if (t[i] === ".") dot = i;
  }
  const rawKey = dot < 0 ? t : t.slice(dot + 1);
  // One layer of quotes, then one of backticks, as MLflow strips them.
  const unquoted = unwrap(rawKey, '"') !== rawKey ? unwrap(rawKey, '"') : unwrap(rawKey, "'");
  const key = unwrap(unquoted, "`");
  if (key === "") throw fail(`missing key after '${t}'${at(tok.pos)}`);
  return dot < 0 ? { key } : { entity: unwrap(t.slice(0, dot), "`"), key };
}

const RUN_ENTITIES = new Map<string, Entity>([
  ...(["metric", "metrics"] as const).map((n) => [n, "metric"] as const),
  ...["parameter", "parameters", "param", "params"].map((n) => [n, "param"] as const),
  ...["tag", "tags"].map((n) => [n, "tag"] as const),
  ...["attribute", "attributes", "attr", "run"].map((n) => [n, "attribute"] as const),
  ...["dataset", "datasets"].map((n) => [n, "dataset"] as const),
]);

const CANONICAL_RUN_ATTRIBUTES = "run_id run_name user_id status artifact_uri start_time end_time";
/** Run attributes a filter or order_by may name, by alias → canonical name. */
export const RUN_ATTRIBUTES: ReadonlyMap<string, string> = new Map([
  ...CANONICAL_RUN_ATTRIBUTES.split(" ").map((k) => [k, k] as const),
  ...["created", "Created"].map((k) => [k, "start_time"] as const),
  ...["run name", "Run name", "Run Name"].map((k) => [k, "run_name"] as const),
]);
/** Run attributes holding numbers (milliseconds). */
export const NUMERIC_RUN_ATTRIBUTES: ReadonlySet<string> = new Set(["start_time", "end_time"]);
/** Dataset fields a run filter may name. */
export const DATASET_KEYS: ReadonlySet<string> = new Set(["name", "digest", "context"]);
/** Experiment attributes a filter may name. */
export const EXPERIMENT_FILTER_ATTRIBUTES: ReadonlySet<string> = new Set(
  ["name", "creation_time", "last_update_time"],
);

/** Resolves a run entity name or alias; undefined when unknown. */
export function runEntity(name: string): Entity | undefined {
  return RUN_ENTITIES.get(name);
}

/** Resolves a run attribute name or alias to its canonical name; undefined when unknown. */
export function runAttribute(key: string): string | undefined {
  return RUN_ATTRIBUTES.get(key);
}

/** Valid run attribute names for messages. */
export const RUN_ATTRIBUTE_LIST =
  "run_id, run_name, user_id, status, artifact_uri, start_time, end_time " +
  "(aliases: created, Created, `run name`, `Run name`, `Run Name`)";

/** A comparison's raw value: one token, or the tokens of an IN list. */
export interface RawValue {
  tok?: Token;
  list?: Token[];
}

/** One comparison as parsed, before its key is resolved. */
export interface RawClause {
  ident: Token;
  comparator: Comparator;
  opPos: number;
  value: RawValue;
}

function structural(tok: Token, fail: Fail): void {
  if (tok.kind === "lparen" || tok.kind === "rparen") {
    throw fail(`parentheses are not supported, found '${tok.text}'${at(tok.pos)}`);
  }
  if (isWord(tok, "OR")) {
    throw fail(`'${tok.text}'${at(tok.pos)} is not supported: join comparisons with AND only`);
  }
  if (tok.kind === "semicolon") {
    throw fail(`';'${at(tok.pos)}: only one expression is allowed, join comparisons with AND`);
  }
}

const KEYWORDS = new Set(["AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "ILIKE"]);
const OPERATORS = new Set(["=", "!=", "<", "<=", ">", ">="]);

function parseComparator(toks: Token[], i: number, end: number, fail: Fail): [Comparator, number] {
  const tok = toks[i];
  const after = `after key '${toks[i - 1].text}'`;
  if (!tok) throw fail(`missing comparator ${after}${at(end)}`);
  if (tok.kind === "op") {
    if (OPERATORS.has(tok.text)) return [tok.text as Comparator, i + 1];
    throw fail(`unknown comparator '${tok.text}'${at(tok.pos)}`);
  }
  const word = tok.kind === "ident" ? tok.text.toUpperCase() : "";
  if (word === "LIKE" || word === "ILIKE" || word === "IN") return [word, i + 1];
  if (word === "NOT" && isWord(toks[i + 1], "IN")) return ["NOT IN", i + 2];
  if (word === "NOT") {
    throw fail(`'NOT${toks[i + 1] ? " " + toks[i + 1].text : ""}'${at(tok.pos)} is not supported`);
  }
  if (word === "IS" && isWord(toks[i + 1], "NULL")) return ["IS NULL", i + 2];
  if (word === "IS" && isWord(toks[i + 1], "NOT") && isWord(toks[i + 2], "NULL")) {
    return ["IS NOT NULL", i + 3];
  }
  structural(tok, fail);
  throw fail(
    `expected a comparator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN, IS NULL, ` +
      `IS NOT NULL) ${after}, found '${tok.text}'${at(tok.pos)}`,
  );
}

function parseList(toks: Token[], i: number, end: number, fail: Fail): [Token[], number] {
  if (toks[i]?.kind !== "lparen") {
    throw fail(`IN needs a parenthesised list of quoted strings${at(toks[i]?.pos ?? end)}`);
  }
  const list: Token[] = [];
  for (i++;; i++) {
    const tok = toks[i];
    if (tok?.kind === "rparen" && list.length === 0) {
      throw fail(`empty list${at(tok.pos)}: IN needs at least one quoted string`);
    }
    if (!tok || !isStringToken(tok)) {
      throw fail(`expected a quoted string in the list${at(tok?.pos ?? end)}`);
    }
    list.push(tok);
    i++;
    if (toks[i]?.kind === "rparen") return [list, i + 1];
    if (toks[i]?.kind !== "comma") {
      throw fail(`expected ',' or ')' in the list${at(toks[i]?.pos ?? end)}`);
    }
  }
}

function isStringToken(tok: Token): boolean {
  return tok.kind === "string" || tok.kind === "quoted";
}

/** Parses the grammar only: `ident comparator value (AND ident comparator value)*`. */
export function parseClauses(src: string, fail: Fail): RawClause[] {
  const toks = tokenize(src, fail);
  const end = src.length;
  const out: RawClause[] = [];
  if (toks.length === 0) return out;
  for (let i = 0;;) {
    const ident = toks[i];
    if (!ident) throw fail(`missing comparison after 'AND'${at(end)}`);
    structural(ident, fail);
    if (ident.kind === "ident" ? KEYWORDS.has(ident.text.toUpperCase()) : ident.kind !== "quoted") {
      throw fail(`expected a key such as metrics.rmse, found '${ident.text}'${at(ident.pos)}`);
    }
    const opPos = toks[i + 1]?.pos ?? end;
    const [comparator, next] = parseComparator(toks, i + 1, end, fail);
    i = next;
    const value: RawValue = {};
    if (comparator === "IN" || comparator === "NOT IN") {
      [value.list, i] = parseList(toks, i, end, fail);
    } else if (comparator !== "IS NULL" && comparator !== "IS NOT NULL") {
      const tok = toks[i];
      if (!tok || isWord(tok, "AND")) {
        throw fail(`missing value after '${comparator}'${at(tok?.pos ?? end)}`);
      }
      if (tok.kind === "lparen") {
        throw fail(`a list${at(tok.pos)} is only allowed with IN and NOT IN`);
      }
      structural(tok, fail);
      if (!["string", "quoted", "number", "ident"].includes(tok.kind)) {
        throw fail(`expected a value after '${comparator}', found '${tok.text}'${at(tok.pos)}`);
      }
      value.tok = tok;
      i++;
    }
    out.push({ ident, comparator, opPos, value });
    const tok = toks[i];
    if (!tok) return out;
    if (!isWord(tok, "AND")) {
      structural(tok, fail);
      throw fail(`expected AND, found '${tok.text}'${at(tok.pos)}`);
    }
    i++;
  }
}

/** Comparators of numbers. */
export const NUMERIC_OPS: ReadonlySet<Comparator> = new Set(["=", "!=", "<", "<=", ">", ">="]);
const STRING_OPS: ReadonlySet<Comparator> = new Set(["=", "!=", "LIKE", "ILIKE"]);
const NULLABLE_OPS: ReadonlySet<Comparator> = new Set([...STRING_OPS, "IS NULL", "IS NOT NULL"]);
/** Comparators of strings, lists included. */
export const LIST_OPS: ReadonlySet<Comparator> = new Set([...STRING_OPS, "IN", "NOT IN"]);

function numberValue(c: RawClause, what: string, fail: Fail): number {
  const tok = c.value.tok!;
  if (tok.kind !== "number") {
    throw fail(`${what} needs a numeric value, found ${tok.text}${at(tok.pos)}`);
  }
  return Number(tok.text);
}

function stringValue(c: RawClause, what: string, fail: Fail): string | string[] | null {
  if (c.value.list) return c.value.list.map((t) => t.text.slice(1, -1));
  const tok = c.value.tok;
  if (!tok) return null;
  if (!isStringToken(tok)) {
    throw fail(
      `${what} needs a value in single or double quotes, found ${tok.text}${at(tok.pos)}`,
    );
  }
  return tok.text.slice(1, -1);
}

/** The Fail of a filter of `kind`: INVALID_PARAMETER_VALUE naming the filter. */
export function filterFail(kind: string, src: string): Fail {
  return (detail) => invalidParam(`Invalid ${kind} filter ${JSON.stringify(src)}: ${detail}`);
}

/** A typed comparison from a clause, if `allowed` has its comparator. */
export function makeComparison(
  c: RawClause,
  entity: Entity,
  key: string,
  allowed: ReadonlySet<Comparator>,
  what: string,
  fail: Fail,
): Comparison {
  if (!allowed.has(c.comparator)) {
    throw fail(
      `comparator '${c.comparator}'${at(c.opPos)} is not supported for ${what}; ` +
        `use one of ${[...allowed].join(", ")}`,
    );
  }
  const value = allowed === NUMERIC_OPS ? numberValue(c, what, fail) : stringValue(c, what, fail);
  return { entity, key, comparator: c.comparator, value };
}

function resolveRunClause(c: RawClause, fail: Fail): Comparison {
  const { entity: rawEntity, key: rawKey } = splitIdentifier(c.ident, fail);
  const entity = rawEntity === undefined ? "attribute" : runEntity(rawEntity);
  const pos = at(c.ident.pos);
  if (!entity) {
    throw fail(
      `unknown entity '${rawEntity}'${pos}; use metrics., params., tags., attributes. or datasets.`,
    );
  }
  if (entity === "metric") {
    return makeComparison(c, entity, rawKey, NUMERIC_OPS, `metric '${rawKey}'`, fail);
  }
  if (entity === "param" || entity === "tag") {
    return makeComparison(c, entity, rawKey, NULLABLE_OPS, `${entity} '${rawKey}'`, fail);
  }
  if (entity === "dataset") {
    if (!DATASET_KEYS.has(rawKey)) {
      throw fail(`unknown dataset field '${rawKey}'${pos}; use name, digest or context`);
    }
    return makeComparison(c, entity, rawKey, LIST_OPS, `dataset field '${rawKey}'`, fail);
  }
  const key = runAttribute(rawKey);
  if (!key) throw fail(`unknown run attribute '${rawKey}'${pos}; valid: ${RUN_ATTRIBUTE_LIST}`);
  const what = `attribute '${rawKey}'`;
  if (NUMERIC_RUN_ATTRIBUTES.has(key)) {
    return makeComparison(c, entity, key, NUMERIC_OPS, what, fail);
  }
  const cmp = makeComparison(c, entity, key, LIST_OPS, what, fail);
  if (Array.isArray(cmp.value)) {
    if (key !== "run_id") {
      throw fail(`only the run_id attribute can be compared with a list${at(c.opPos)}`);
    }
    // MLflow drops ids with upper-case letters: run ids are lower-case (MySQL's IN ignores case).
    cmp.value = cmp.value.filter((v) => v === v.toLowerCase());
  }
  return cmp;
}

function resolveExperimentClause(c: RawClause, fail: Fail): Comparison {
  const { entity: rawEntity, key } = splitIdentifier(c.ident, fail);
  const pos = at(c.ident.pos);
  if (rawEntity === "tag" || rawEntity === "tags") {
    return makeComparison(c, "tag", key, NULLABLE_OPS, `tag '${key}'`, fail);
  }
  if (rawEntity !== undefined && rawEntity !== "attribute") {
    throw fail(
      `unknown entity '${rawEntity}'${pos}; experiments can be filtered by attributes ` +
        `(name, creation_time, last_update_time) and tags.`,
    );
  }
  if (!EXPERIMENT_FILTER_ATTRIBUTES.has(key)) {
    throw fail(
      `unknown experiment attribute '${key}'${pos}; valid: name, creation_time, last_update_time`,
    );
  }
  const ops = key === "name" ? STRING_OPS : NUMERIC_OPS;
  return makeComparison(c, "attribute", key, ops, `attribute '${key}'`, fail);
}

/** Parses a `runs/search` filter; [] for an empty or absent filter. */
export function parseRunFilter(filter: string | undefined): Comparison[] {
  if (!filter) return [];
  const fail = filterFail("search", filter);
  return parseClauses(filter, fail).map((c) => resolveRunClause(c, fail));
}

/** Parses an `experiments/search` filter; [] for an empty or absent filter. */
export function parseExperimentFilter(filter: string | undefined): Comparison[] {
  if (!filter) return [];
  const fail = filterFail("experiment search", filter);
  return parseClauses(filter, fail).map((c) => resolveExperimentClause(c, fail));
}
