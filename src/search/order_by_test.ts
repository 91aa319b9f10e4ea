import assert from "node:assert/strict";
import { MltError } from "../errors.ts";
import { type OrderClause, parseExperimentOrderBy, parseRunOrderBy } from "./order_by.ts";

function o(entity: OrderClause["entity"], key: string, ascending = true): OrderClause {
  return { entity, key, ascending };
}

function rejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof MltError, `expected MltError, got ${e}`);
    assert.equal(e.code, "INVALID_PARAMETER_VALUE");
    assert.match(e.message, pattern);
    return true;
  });
}

Deno.test("parseRunOrderBy() returns [] for absent or empty lists", () => {
  assert.deepEqual(parseRunOrderBy(undefined), []);
  assert.deepEqual(parseRunOrderBy([]), []);
});

Deno.test("parseRunOrderBy() parses keys, aliases and directions", () => {
  const table: [string, OrderClause][] = [
    ["metrics.rmse", o("metric", "rmse")],
    ["metrics.rmse DESC", o("metric", "rmse", false)],
    ["metrics.rmse desc", o("metric", "rmse", false)],
    ["metric.rmse ASC", o("metric", "rmse")],
    ["metrics.rmse aSc", o("metric", "rmse")],
    ["params.alpha", o("param", "alpha")],
    ["parameters.alpha DESC", o("param", "alpha", false)],
    ["param.alpha", o("param", "alpha")],
    ["parameter.alpha", o("param", "alpha")],
    ["params.`a b` DESC", o("param", "a b", false)],
    ['params."a b"', o("param", "a b")],
    ["tags.mlflow.runName", o("tag", "mlflow.runName")],
    ["tag.`mlflow.runName` DESC", o("tag", "mlflow.runName", false)],
    ["attributes.start_time", o("attribute", "start_time")],
    ["attribute.end_time DESC", o("attribute", "end_time", false)],
    ["attr.status", o("attribute", "status")],
    ["run.run_id", o("attribute", "run_id")],
    ["start_time DESC", o("attribute", "start_time", false)],
    ["created", o("attribute", "start_time")],
    ["Created DESC", o("attribute", "start_time", false)],
    ["run_name", o("attribute", "run_name")],
    ["`Run Name`", o("attribute", "run_name")],
    ["user_id", o("attribute", "user_id")],
    ["artifact_uri", o("attribute", "artifact_uri")],
    ["  metrics.rmse   DESC  ", o("metric", "rmse", false)],
  ];
  for (const [input, expected] of table) assert.deepEqual(parseRunOrderBy([input]), [expected]);
});

Deno.test("parseRunOrderBy() keeps the clauses in order", () => {
  assert.deepEqual(parseRunOrderBy(["metrics.a DESC", "params.b", "created"]), [
    o("metric", "a", false),
    o("param", "b"),
    o("attribute", "start_time"),
  ]);
});

Deno.test("parseRunOrderBy() rejects bad clauses with the problem and its position", () => {
  const table: [string, RegExp][] = [
    ["", /^Invalid order_by clause "": the clause is empty/],
    ["   ", /the clause is empty/],
    ["metrics.rmse up", /expected ASC or DESC, found 'up' at position 14/],
    ["metrics.rmse DESC extra", /unexpected 'extra' at position 19/],
    ["metrics.a, metrics.b", /expected ASC or DESC, found ','/],
    ["'metrics.a'", /expected a key such as metrics.rmse, found ''metrics.a''/],
    ["foo.bar", /unknown entity 'foo' at position 1/],
    ["lifecycle_stage", /unknown run attribute 'lifecycle_stage'/],
    ["experiment_id", /unknown run attribute 'experiment_id'/],
    ["datasets.name", /runs cannot be ordered by dataset fields/],
    ["metrics.", /missing key after 'metrics.'/],
    ["metrics.`a", /unterminated backtick/],
  ];
  for (const [input, pattern] of table) rejects(() => parseRunOrderBy([input]), pattern);
});

Deno.test("parseRunOrderBy() rejects duplicate fields, aliases included", () => {
  const table: string[][] = [
    ["metrics.a", "metrics.a DESC"],
    ["metric.a", "metrics.a"],
    ["start_time", "created DESC"],
    ["params.`x`", "param.x"],
  ];
  for (const input of table) rejects(() => parseRunOrderBy(input), /appears more than once/);
  // The same key under different entities is not a duplicate.
  assert.equal(parseRunOrderBy(["metrics.a", "params.a", "tags.a"]).length, 3);
});

Deno.test("parseExperimentOrderBy() parses the four orderable attributes", () => {
  const table: [string, OrderClause][] = [
    ["name", o("attribute", "name")],
    ["name DESC", o("attribute", "name", false)],
    ["experiment_id ASC", o("attribute", "experiment_id")],
    ["creation_time desc", o("attribute", "creation_time", false)],
    ["attribute.last_update_time", o("attribute", "last_update_time")],
  ];
  for (const [input, expected] of table) {
    assert.deepEqual(parseExperimentOrderBy([input]), [expected]);
  }
  assert.deepEqual(parseExperimentOrderBy(undefined), []);
});

Deno.test("parseExperimentOrderBy() rejects tags, unknown keys and duplicates", () => {
  const table: [string[], RegExp][] = [
    [["tags.k"], /experiments cannot be ordered by tags/],
    [["tag.k DESC"], /experiments cannot be ordered by tags/],
    [["metrics.a"], /unknown entity 'metrics'/],
    [["lifecycle_stage"], /unknown experiment attribute 'lifecycle_stage'/],
    [["artifact_location"], /unknown experiment attribute/],
    [["name sideways"], /expected ASC or DESC/],
    [["name", "name DESC"], /attribute 'name' appears more than once/],
  ];
  for (const [input, pattern] of table) rejects(() => parseExperimentOrderBy(input), pattern);
});
