/**
 * The model registry's filter and order_by grammar (MLflow's SearchModelUtils and
 * SearchModelVersionUtils): `name`, tags and, for versions, `version_number`, `run_id` and
 * `source_path`, joined with AND. Pure: builds ASTs that the stores match in memory or compile to
 * SQL. Prompt models (tag `mlflow.prompt.is_prompt`) are hidden unless a filter asks for them.
 */
import { invalidParam } from "../errors.ts";
import { PROMPT_TAG } from "../registry_model.ts";
import {
  at,
  type Comparator,
  type Fail,
  isWord,
  parseClauses,
  type RawClause,
  splitIdentifier,
  type Token,
  tokenize,
} from "./filter.ts";

/** One comparison of a registry filter; `value` is a number only for `version_number`. */
export interface RegistryComparison {
  entity: "attribute" | "tag";
  key: string;
  comparator: Comparator;
  value: string | number | string[];
}

/** A parsed registry filter: its comparisons, and whether prompts are hidden (the default). */
export interface RegistryFilter {
  comparisons: RegistryComparison[];
  /** True unless the filter selects prompts; the prompt tag's own comparisons are then dropped. */
  excludePrompts: boolean;
}

/** A sort key of a registry search, in canonical form. */
export interface RegistryOrder {
  key: "name" | "version_number" | "creation_timestamp" | "last_updated_timestamp";
  ascending: boolean;
}

type Kind = "model" | "version";

const STRING_OPS: readonly Comparator[] = ["=", "!=", "LIKE", "ILIKE"];
const LIST_OPS: readonly Comparator[] = [...STRING_OPS, "IN", "NOT IN"];
const NUMERIC_OPS: readonly Comparator[] = ["=", "!=", "<", "<=", ">", ">="];
const ATTRIBUTES: Record<Kind, readonly string[]> = {
  model: ["name"],
  version: ["name", "version_number", "run_id", "source_path"],
};
const LIST_KEYS: Record<Kind, readonly string[]> = {
  model: ["name"],
  version: ["name", "run_id"],
};

function keySet(keys: readonly string[]): string {
  return `{${keys.map((k) => `'${k}'`).join(", ")}}`;
}

function stringOf(tok: Token, fail: Fail): string {
  if (tok.kind === "string" || tok.kind === "quoted") return tok.text.slice(1, -1);
  if (tok.kind === "ident") {
    throw invalidParam(
      "Parameter value is either not quoted or unidentified quote types used for string value " +
        `${tok.text}. Use either single or double quotes.`,
    );
  }
  throw fail(`expected a quoted string, found ${tok.text}${at(tok.pos)}`);
}

function versionNumber(tok: Token): number {
  const text = tok.kind === "number" ? tok.text : tok.text.slice(1, -1);
  if (tok.kind === "ident" || !/^\s*[+-]?\d+\s*$/.test(text)) {
    const shown = tok.kind === "number" ? text : `'${text}'`;
    throw invalidParam(`Invalid value for numeric attribute 'version_number': ${shown}`);
  }
  return Number(text);
}

function resolve(c: RawClause, kind: Kind, fail: Fail): RegistryComparison {
  const { entity: rawEntity, key } = splitIdentifier(c.ident, fail);
  if (rawEntity !== undefined && !["attribute", "tag", "tags"].includes(rawEntity)) {
    throw invalidParam(
      `Invalid entity type '${rawEntity}'. Valid entity types are ('attribute', 'tag', 'tags')`,
    );
  }
  const comparator = c.comparator;
  if (rawEntity === "tag" || rawEntity === "tags") {
    if (!STRING_OPS.includes(comparator)) {
      throw invalidParam(`Invalid comparator '${comparator}' not one of '${keySet(STRING_OPS)}`);
    }
    return { entity: "tag", key, comparator, value: stringOf(c.value.tok!, fail) };
  }
  if (!ATTRIBUTES[kind].includes(key)) {
    throw invalidParam(
      `Invalid attribute key '${key}' specified. Valid keys are '${keySet(ATTRIBUTES[kind])}'`,
    );
  }
  if (key === "version_number") {
    if (!NUMERIC_OPS.includes(comparator)) {
      throw invalidParam(`Invalid comparator for attribute ${key}: ${comparator}`);
    }
    return { entity: "attribute", key, comparator, value: versionNumber(c.value.tok!) };
  }
  const ops = LIST_KEYS[kind].includes(key) ? LIST_OPS : STRING_OPS;
  if (!ops.includes(comparator)) {
    throw invalidParam(`Invalid comparator for attribute: ${comparator}`);
  }
  if (c.value.list) {
    return {
      entity: "attribute",
      key,
      comparator,
      value: c.value.list.map((t) => stringOf(t, fail)),
    };
  }
  const tok = c.value.tok!;
  if (tok.kind === "number") {
    throw invalidParam(
      kind === "version"
        ? "Only the '{'version_number', 'creation_timestamp', 'last_updated_timestamp'}' " +
          "attributes support comparison with numeric values."
        : "Expected a quoted string value or a list of quoted string values for attributes. " +
          `Got value ${tok.text}`,
    );
  }
  return { entity: "attribute", key, comparator, value: stringOf(tok, fail) };
}

// MLflow looks at the first comparison of the prompt tag only.
function selectsPrompts(cs: RegistryComparison[]): boolean {
  const c = cs.find((x) => x.entity === "tag" && x.key === PROMPT_TAG);
  if (!c || typeof c.value !== "string") return false;
  const v = c.value.toLowerCase();
  return (c.comparator === "=" && v === "true") || (c.comparator === "!=" && v === "false");
}

function parse(filter: string | undefined, kind: Kind): RegistryFilter {
  const fail: Fail = (detail) =>
    invalidParam(`Invalid filter ${JSON.stringify(filter)}: ${detail}`);
  const raw = filter ? parseClauses(filter, fail) : [];
  for (const c of raw) {
    if (c.comparator === "IS NULL" || c.comparator === "IS NOT NULL") {
      throw invalidParam(`Invalid clause(s) in filter string: ${c.comparator}`);
    }
  }
  const all = raw.map((c) => resolve(c, kind, fail));
  if (selectsPrompts(all)) return { comparisons: all, excludePrompts: false };
  return {
    comparisons: all.filter((c) => !(c.entity === "tag" && c.key === PROMPT_TAG)),
    excludePrompts: true,
  };
}

/** Parses a `registered-models/search` filter. */
export function parseRegisteredModelFilter(filter: string | undefined): RegistryFilter {
  return parse(filter, "model");
}

/** Parses a `model-versions/search` filter. */
export function parseModelVersionFilter(filter: string | undefined): RegistryFilter {
  return parse(filter, "version");
}

// One `key [ASC|DESC]` clause; backticks and quotes around the key are stripped.
function orderClause(clause: string): { key: string; ascending: boolean } {
  const fail: Fail = () =>
    invalidParam(`Invalid order_by clause '${clause}'. Could not be parsed.`);
  const toks = tokenize(clause, fail);
  const [ident, dir, extra] = toks;
  if (!ident || (ident.kind !== "ident" && ident.kind !== "quoted") || extra) throw fail("");
  if (dir && !isWord(dir, "ASC") && !isWord(dir, "DESC")) {
    throw invalidParam(`Invalid ordering key in order_by clause '${clause}'.`);
  }
  const { entity, key } = splitIdentifier(ident, fail);
  if (entity !== undefined && entity !== "attribute" && entity !== "attributes") {
    throw invalidParam(`Invalid order_by entity: ${entity}`);
  }
  return { key, ascending: !isWord(dir, "DESC") };
}

function noDuplicates(keys: RegistryOrder[], orderBy: string[]): RegistryOrder[] {
  const seen = new Set<string>();
  for (const k of keys) {
    if (seen.has(k.key)) {
      throw invalidParam(`\`order_by\` contains duplicate fields: ${JSON.stringify(orderBy)}`);
    }
    seen.add(k.key);
  }
  return keys;
}

const MODEL_ORDER_KEYS: Record<string, RegistryOrder["key"]> = {
  name: "name",
  timestamp: "last_updated_timestamp",
  last_updated_timestamp: "last_updated_timestamp",
  creation_timestamp: "creation_timestamp",
};

/**
 * Parses `registered-models/search` order_by, with the `name ASC` tie-break. Keys: name,
 * timestamp and last_updated_timestamp (MLflow's SQL store), creation_timestamp (its file store).
 */
export function parseRegisteredModelOrderBy(orderBy: string[] | undefined): RegistryOrder[] {
  const keys = (orderBy ?? []).map((clause) => {
    const { key, ascending } = orderClause(clause);
    const canonical = MODEL_ORDER_KEYS[key];
    if (!canonical) {
      throw invalidParam(
        `Invalid order by key '${key}' specified. Valid keys are '{'name', 'timestamp'}'`,
      );
    }
    return { key: canonical, ascending };
  });
  noDuplicates(keys, orderBy ?? []);
  if (!keys.some((k) => k.key === "name")) keys.push({ key: "name", ascending: true });
  return keys;
}

const VERSION_ORDER_KEYS = [
  "name",
  "version_number",
  "creation_timestamp",
  "last_updated_timestamp",
] as const;

/**
 * Parses `model-versions/search` order_by; none means `last_updated_timestamp DESC`. Ties break
 * on `name ASC`, then `version_number DESC`, as MLflow.
 */
export function parseModelVersionOrderBy(orderBy: string[] | undefined): RegistryOrder[] {
  const given = orderBy?.length
    ? orderBy
    : ["last_updated_timestamp DESC", "name ASC", "version_number DESC"];
  const keys = given.map((clause) => {
    const { key, ascending } = orderClause(clause);
    const canonical = VERSION_ORDER_KEYS.find((k) => k === key);
    if (!canonical) {
      throw invalidParam(
        `Invalid order by key '${key}' specified. Valid keys are ` +
          `'${keySet(VERSION_ORDER_KEYS)}'`,
      );
    }
    return { key: canonical, ascending };
  });
  noDuplicates(keys, given);
  if (!keys.some((k) => k.key === "name")) keys.push({ key: "name", ascending: true });
  if (!keys.some((k) => k.key === "version_number")) {
    keys.push({ key: "version_number", ascending: false });
  }
  return keys;
}
