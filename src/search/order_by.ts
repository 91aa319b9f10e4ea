/** MLflow `order_by` clauses (`metrics.rmse DESC`, `` params.`a b` ``, `created`) → sort keys. */
import { invalidParam } from "../errors.ts";
import {
  at,
  type Entity,
  type Fail,
  isWord,
  RUN_ATTRIBUTE_LIST,
  runAttribute,
  runEntity,
  splitIdentifier,
  tokenize,
} from "./filter.ts";

/** One sort key; attribute keys are canonical (`start_time`, not `created`). */
export interface OrderClause {
  entity: Entity;
  key: string;
  ascending: boolean;
}

/** Experiment attributes `order_by` may name. */
export const EXPERIMENT_ORDER_ATTRIBUTES: ReadonlySet<string> = new Set([
  "name",
  "experiment_id",
  "creation_time",
  "last_update_time",
]);

interface RawOrder {
  entity?: string;
  key: string;
  ascending: boolean;
  pos: number;
}

function parseClause(clause: string, fail: Fail): RawOrder {
  const toks = tokenize(clause, fail);
  const [ident, dir, extra] = toks;
  if (!ident) throw fail("the clause is empty; expected a key such as metrics.rmse");
  if (ident.kind !== "ident") {
    throw fail(`expected a key such as metrics.rmse, found '${ident.text}'${at(ident.pos)}`);
  }
  if (dir && !isWord(dir, "ASC") && !isWord(dir, "DESC")) {
    throw fail(`expected ASC or DESC, found '${dir.text}'${at(dir.pos)}`);
  }
  if (extra) throw fail(`unexpected '${extra.text}'${at(extra.pos)} after the direction`);
  const { entity, key } = splitIdentifier(ident, fail);
  return { entity, key, ascending: !isWord(dir, "DESC"), pos: ident.pos };
}

function orderFail(clause: string): Fail {
  return (detail) => invalidParam(`Invalid order_by clause ${JSON.stringify(clause)}: ${detail}`);
}

function rejectDuplicates(clauses: OrderClause[], orderBy: string[]): OrderClause[] {
  const seen = new Set<string>();
  for (const c of clauses) {
    const id = `${c.entity}\u0000${c.key}`;
    if (seen.has(id)) {
      throw invalidParam(
        `Invalid order_by ${
          JSON.stringify(orderBy)
        }: ${c.entity} '${c.key}' appears more than once`,
      );
    }
    seen.add(id);
  }
  return clauses;
}

function runClause(clause: string): OrderClause {
  const fail = orderFail(clause);
  const raw = parseClause(clause, fail);
  const entity = raw.entity === undefined ? "attribute" : runEntity(raw.entity);
  if (!entity) {
    throw fail(
      `unknown entity '${raw.entity}'${at(raw.pos)}; use metrics., params., tags. or attributes.`,
    );
  }
  if (entity === "dataset") throw fail(`runs cannot be ordered by dataset fields${at(raw.pos)}`);
  if (entity !== "attribute") return { entity, key: raw.key, ascending: raw.ascending };
  const key = runAttribute(raw.key);
  if (!key) {
    throw fail(`unknown run attribute '${raw.key}'${at(raw.pos)}; valid: ${RUN_ATTRIBUTE_LIST}`);
  }
  return { entity, key, ascending: raw.ascending };
}

function experimentClause(clause: string): OrderClause {
  const fail = orderFail(clause);
  const raw = parseClause(clause, fail);
  if (raw.entity === "tag" || raw.entity === "tags") {
    throw fail(`experiments cannot be ordered by tags${at(raw.pos)}`);
  }
  if (raw.entity !== undefined && raw.entity !== "attribute") {
    throw fail(`unknown entity '${raw.entity}'${at(raw.pos)}; experiments order by attributes`);
  }
  if (!EXPERIMENT_ORDER_ATTRIBUTES.has(raw.key)) {
    throw fail(
      `unknown experiment attribute '${raw.key}'${at(raw.pos)}; valid: ` +
        [...EXPERIMENT_ORDER_ATTRIBUTES].join(", "),
    );
  }
  return { entity: "attribute", key: raw.key, ascending: raw.ascending };
}

/** Parses `runs/search` order_by clauses; duplicates are refused. */
export function parseRunOrderBy(orderBy: string[] | undefined): OrderClause[] {
  return rejectDuplicates((orderBy ?? []).map(runClause), orderBy ?? []);
}

/** Parses `experiments/search` order_by clauses; duplicates are refused. */
export function parseExperimentOrderBy(orderBy: string[] | undefined): OrderClause[] {
  return rejectDuplicates((orderBy ?? []).map(experimentClause), orderBy ?? []);
}
