import assert from "node:assert/strict";
import { MltError } from "../errors.ts";
import { type Comparison, parseExperimentFilter, parseRunFilter } from "./filter.ts";

function c(
  entity: Comparison["entity"],
  key: string,
  comparator: Comparison["comparator"],
  value: Comparison["value"],
): Comparison {
  return { entity, key, comparator, value };
}

function rejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof MltError, `expected MltError, got ${e}`);
    assert.equal(e.code, "INVALID_PARAMETER_VALUE");
    assert.match(e.message, pattern);
    return true;
  });
}

Deno.test("parseRunFilter() returns [] for empty input", () => {
  assert.deepEqual(parseRunFilter(undefined), []);
  assert.deepEqual(parseRunFilter(""), []);
  assert.deepEqual(parseRunFilter("   \t\n"), []);
});

Deno.test("parseRunFilter() parses every comparator of every entity", () => {
  const table: [string, Comparison[]][] = [
    ["metrics.rmse = 1", [c("metric", "rmse", "=", 1)]],
    ["metrics.rmse != 1", [c("metric", "rmse", "!=", 1)]],
    ["metrics.rmse < 1", [c("metric", "rmse", "<", 1)]],
    ["metrics.rmse <= 1", [c("metric", "rmse", "<=", 1)]],
    ["metrics.rmse > 1", [c("metric", "rmse", ">", 1)]],
    ["metrics.rmse >= 1", [c("metric", "rmse", ">=", 1)]],
    ["params.a = 'x'", [c("param", "a", "=", "x")]],
    ["params.a != 'x'", [c("param", "a", "!=", "x")]],
    ["params.a LIKE 'x%'", [c("param", "a", "LIKE", "x%")]],
    ["params.a ILIKE 'x%'", [c("param", "a", "ILIKE", "x%")]],
    ["params.a IS NULL", [c("param", "a", "IS NULL", null)]],
    ["params.a IS NOT NULL", [c("param", "a", "IS NOT NULL", null)]],
    ["tags.t = 'x'", [c("tag", "t", "=", "x")]],
    ["tags.t != 'x'", [c("tag", "t", "!=", "x")]],
    ["tags.t LIKE '%x'", [c("tag", "t", "LIKE", "%x")]],
    ["tags.t ILIKE '%x'", [c("tag", "t", "ILIKE", "%x")]],
    ["tags.t is null", [c("tag", "t", "IS NULL", null)]],
    ["tags.t is not null", [c("tag", "t", "IS NOT NULL", null)]],
    ["attributes.status = 'FINISHED'", [c("attribute", "status", "=", "FINISHED")]],
    ["attributes.status != 'FAILED'", [c("attribute", "status", "!=", "FAILED")]],
    ["attributes.user_id LIKE 'a%'", [c("attribute", "user_id", "LIKE", "a%")]],
    ["attributes.artifact_uri ILIKE '%S3%'", [c("attribute", "artifact_uri", "ILIKE", "%S3%")]],
    ["attributes.run_id IN ('a1', 'b2')", [c("attribute", "run_id", "IN", ["a1", "b2"])]],
    ["attributes.run_id NOT IN ('a1')", [c("attribute", "run_id", "NOT IN", ["a1"])]],
    ["attributes.start_time = 5", [c("attribute", "start_time", "=", 5)]],
    ["attributes.start_time != 5", [c("attribute", "start_time", "!=", 5)]],
    ["attributes.end_time < 5", [c("attribute", "end_time", "<", 5)]],
    ["attributes.end_time <= 5", [c("attribute", "end_time", "<=", 5)]],
    ["attributes.end_time > 5", [c("attribute", "end_time", ">", 5)]],
    ["attributes.end_time >= 5", [c("attribute", "end_time", ">=", 5)]],
    ["datasets.name = 'mnist'", [c("dataset", "name", "=", "mnist")]],
    ["datasets.name != 'mnist'", [c("dataset", "name", "!=", "mnist")]],
    ["datasets.digest LIKE 'ab%'", [c("dataset", "digest", "LIKE", "ab%")]],
    ["datasets.digest ILIKE 'AB%'", [c("dataset", "digest", "ILIKE", "AB%")]],
    ["datasets.context IN ('train', 'eval')", [c("dataset", "context", "IN", ["train", "eval"])]],
    // Dataset lists keep upper-case values (MLflow drops them, a bug copied from run ids).
    ["datasets.name NOT IN ('MNIST')", [c("dataset", "name", "NOT IN", ["MNIST"])]],
  ];
  for (const [input, expected] of table) assert.deepEqual(parseRunFilter(input), expected, input);
});

Deno.test("parseRunFilter() resolves every entity and attribute alias", () => {
  const table: [string, Comparison][] = [
    ["metric.m > 0", c("metric", "m", ">", 0)],
    ["metrics.m > 0", c("metric", "m", ">", 0)],
    ["parameter.p = 'v'", c("param", "p", "=", "v")],
    ["parameters.p = 'v'", c("param", "p", "=", "v")],
    ["param.p = 'v'", c("param", "p", "=", "v")],
    ["params.p = 'v'", c("param", "p", "=", "v")],
    ["tag.t = 'v'", c("tag", "t", "=", "v")],
    ["tags.t = 'v'", c("tag", "t", "=", "v")],
    ["attribute.status = 'v'", c("attribute", "status", "=", "v")],
    ["attributes.status = 'v'", c("attribute", "status", "=", "v")],
    ["attr.status = 'v'", c("attribute", "status", "=", "v")],
    ["run.status = 'v'", c("attribute", "status", "=", "v")],
    ["status = 'v'", c("attribute", "status", "=", "v")],
    ["dataset.name = 'v'", c("dataset", "name", "=", "v")],
    ["datasets.name = 'v'", c("dataset", "name", "=", "v")],
    ["`metrics`.m > 0", c("metric", "m", ">", 0)],
    ["created > 0", c("attribute", "start_time", ">", 0)],
    ["Created > 0", c("attribute", "start_time", ">", 0)],
    ["attributes.created > 0", c("attribute", "start_time", ">", 0)],
    ["run_name = 'r'", c("attribute", "run_name", "=", "r")],
    ["`run name` = 'r'", c("attribute", "run_name", "=", "r")],
    ["`Run name` = 'r'", c("attribute", "run_name", "=", "r")],
    ["attributes.`Run Name` = 'r'", c("attribute", "run_name", "=", "r")],
    ["\"Run Name\" = 'r'", c("attribute", "run_name", "=", "r")],
    ["run_id = 'abc'", c("attribute", "run_id", "=", "abc")],
    ["user_id = 'u'", c("attribute", "user_id", "=", "u")],
    ["artifact_uri = 'u'", c("attribute", "artifact_uri", "=", "u")],
    ["end_time = 1", c("attribute", "end_time", "=", 1)],
  ];
  for (const [input, expected] of table) {
    assert.deepEqual(parseRunFilter(input), [expected], input);
  }
});

Deno.test("parseRunFilter() handles quoting, dots and numbers", () => {
  const table: [string, Comparison][] = [
    ["tags.mlflow.runName = 'x'", c("tag", "mlflow.runName", "=", "x")],
    ["tags.\"mlflow.runName\" = 'x'", c("tag", "mlflow.runName", "=", "x")],
    ["tags.`mlflow.runName` = 'x'", c("tag", "mlflow.runName", "=", "x")],
    ["metrics.`my metric` > 1", c("metric", "my metric", ">", 1)],
    ['metrics."`m`" > 1', c("metric", "m", ">", 1)],
    ["metrics.\"'m'\" > 1", c("metric", "'m'", ">", 1)],
    ['metrics."my metric" > 1', c("metric", "my metric", ">", 1)],
    ['params.a = "double"', c("param", "a", "=", "double")],
    ["params.a = ''", c("param", "a", "=", "")],
    ["params.a = 'with space and \"q\"'", c("param", "a", "=", 'with space and "q"')],
    ['params.a = "it\'s"', c("param", "a", "=", "it's")],
    ["params.a='no spaces'", c("param", "a", "=", "no spaces")],
    ["params.learning-rate = '1'", c("param", "learning-rate", "=", "1")],
    ["metrics.a > -1", c("metric", "a", ">", -1)],
    ["metrics.a>-1", c("metric", "a", ">", -1)],
    ["metrics.a > 1.5", c("metric", "a", ">", 1.5)],
    ["metrics.a > .5", c("metric", "a", ">", 0.5)],
    ["metrics.a > 2.", c("metric", "a", ">", 2)],
    ["metrics.a > 1e3", c("metric", "a", ">", 1000)],
    ["metrics.a > -2.5E-2", c("metric", "a", ">", -0.025)],
    ["metrics.a > 1e+2", c("metric", "a", ">", 100)],
    ["  metrics.a   >   1  ", c("metric", "a", ">", 1)],
    ["params.a like 'x'", c("param", "a", "LIKE", "x")],
    ["params.a iLiKe 'x'", c("param", "a", "ILIKE", "x")],
    ["run_id in ('a')", c("attribute", "run_id", "IN", ["a"])],
    ["run_id not in ('a')", c("attribute", "run_id", "NOT IN", ["a"])],
    ["run_id IN ('a',\"b\")", c("attribute", "run_id", "IN", ["a", "b"])],
  ];
  for (const [input, expected] of table) {
    assert.deepEqual(parseRunFilter(input), [expected], input);
  }
});

Deno.test("parseRunFilter() joins comparisons with AND in any case", () => {
  assert.deepEqual(parseRunFilter("metrics.a > 1 and params.b = 'x' AnD tags.c != 'y'"), [
    c("metric", "a", ">", 1),
    c("param", "b", "=", "x"),
    c("tag", "c", "!=", "y"),
  ]);
});

Deno.test("parseRunFilter() drops run ids with upper-case letters from lists, as MLflow", () => {
  assert.deepEqual(parseRunFilter("run_id IN ('abc', 'ABC', 'aBc', 'a1')"), [
    c("attribute", "run_id", "IN", ["abc", "a1"]),
  ]);
});

Deno.test("parseRunFilter() rejects invalid filters with the problem and its position", () => {
  const table: [string, RegExp][] = [
    ["metrics.a > 1 OR metrics.b < 2", /'OR' at position 15 is not supported.*AND/],
    ["metrics.a > 1 or metrics.b < 2", /'or' at position 15/],
    ["(metrics.a > 1)", /parentheses are not supported, found '\(' at position 1/],
    ["metrics.a > 1 AND (params.b = 'x')", /parentheses.*position 19/],
    ["metrics.a > 1)", /parentheses.*'\)' at position 14/],
    ["params.a = 'x'; params.b = 'y'", /';' at position 15: only one expression/],
    ["params.a = 1", /param 'a' needs a value in single or double quotes, found 1 at position 12/],
    ["params.a = abc", /param 'a' needs a value in single or double quotes, found abc/],
    ["tags.t = 5", /tag 't' needs a value in single or double quotes/],
    ["status = FINISHED", /attribute 'status' needs a value in single or double quotes/],
    ["datasets.name = 1", /dataset field 'name' needs a value in single or double quotes/],
    ["metrics.a = 'x'", /metric 'a' needs a numeric value, found 'x' at position 13/],
    ["metrics.a = abc", /metric 'a' needs a numeric value, found abc/],
    ["start_time > '5'", /attribute 'start_time' needs a numeric value/],
    ["status IN ('FINISHED')", /only the run_id attribute can be compared with a list at pos/],
    ["user_id NOT IN ('u')", /only the run_id attribute/],
    ["run_id = ('a')", /a list at position 10 is only allowed with IN and NOT IN/],
    ["run_id IN 'a'", /IN needs a parenthesised list of quoted strings at position 11/],
    ["run_id IN ()", /empty list at position 12/],
    ["run_id IN ('a' 'b')", /expected ',' or '\)' in the list at position 16/],
    ["run_id IN ('a', 1)", /expected a quoted string in the list at position 17/],
    ["run_id IN ('a'", /expected ',' or '\)' in the list at position 15/],
    ["foo.a = 'x'", /unknown entity 'foo' at position 1/],
    ["Metrics.a > 1", /unknown entity 'Metrics'/],
    ["lifecycle_stage = 'active'", /unknown run attribute 'lifecycle_stage' at position 1/],
    ["experiment_id = '0'", /unknown run attribute 'experiment_id'/],
    ["attributes.Status = 'x'", /unknown run attribute 'Status'/],
    ["datasets.source = 'x'", /unknown dataset field 'source' at position 1/],
    ["params.a =", /missing value after '=' at position 11/],
    ["params.a = AND tags.b = 'x'", /missing value after '=' at position 12/],
    ["params.a", /missing comparator after key 'params.a' at position 9/],
    ["params.a = 'x' AND", /missing comparison after 'AND' at position 19/],
    ["AND params.a = 'x'", /expected a key such as metrics.rmse, found 'AND' at position 1/],
    ["'x' = params.a", /expected a key.*found ''x''/],
    ["metrics.a > 1 metrics.b > 2", /expected AND, found 'metrics.b' at position 15/],
    ["metrics.a NOT LIKE 'x'", /'NOT LIKE' at position 11 is not supported/],
    ["params.a NOT LIKE 'x'", /'NOT LIKE'/],
    ["metrics.a <> 1", /unknown comparator '<>' at position 11/],
    ["metrics.a == 1", /unknown comparator '=='/],
    ["metrics.a ~ 1", /unknown comparator '~'/],
    ["metrics.a BETWEEN 1", /expected a comparator .* after key 'metrics.a', found 'BETWEEN'/],
    ["metrics.a LIKE 'x'", /comparator 'LIKE' at position 11 is not supported for metric 'a'/],
    ["metrics.a ILIKE 'x'", /comparator 'ILIKE'.*metric/],
    ["metrics.a IN ('1')", /comparator 'IN'.*metric/],
    ["metrics.a IS NULL", /comparator 'IS NULL'.*metric 'a'/],
    ["metrics.a IS NOT NULL", /comparator 'IS NOT NULL'.*metric/],
    ["params.a > '1'", /comparator '>'.*param 'a'/],
    ["params.a IN ('1')", /comparator 'IN'.*param/],
    ["tags.a <= '1'", /comparator '<='.*tag 'a'/],
    ["tags.a NOT IN ('1')", /comparator 'NOT IN'.*tag/],
    ["status < 'x'", /comparator '<'.*attribute 'status'/],
    ["status IS NULL", /comparator 'IS NULL'.*attribute 'status'/],
    ["start_time LIKE '1'", /comparator 'LIKE'.*attribute 'start_time'/],
    ["created IN ('1')", /comparator 'IN'.*attribute 'created'/],
    ["datasets.name > 'a'", /comparator '>'.*dataset field 'name'/],
    ["datasets.name IS NULL", /comparator 'IS NULL'.*dataset/],
    ["metrics. > 1", /missing key after 'metrics.' at position 1/],
    ["metrics.`` > 1", /missing key/],
    ["params.a = 'unterminated", /unterminated quote ' at position 12/],
    ['params."a = 1', /unterminated quote " at position 8/],
    ["metrics.`a > 1", /unterminated backtick/],
    ["metrics.a > 1 & x", /unexpected character '&' at position 15/],
    ["params.a IS 'x'", /expected a comparator/],
  ];
  for (const [input, pattern] of table) rejects(() => parseRunFilter(input), pattern);
});

Deno.test("parseRunFilter() quotes the whole filter in its message", () => {
  rejects(() => parseRunFilter("a OR b"), /^Invalid search filter "a OR b": /);
});

Deno.test("parseExperimentFilter() parses attributes and tags", () => {
  const table: [string, Comparison[]][] = [
    ["name = 'a'", [c("attribute", "name", "=", "a")]],
    ["name != 'a'", [c("attribute", "name", "!=", "a")]],
    ["attribute.name LIKE 'a%'", [c("attribute", "name", "LIKE", "a%")]],
    ["name ILIKE '%A'", [c("attribute", "name", "ILIKE", "%A")]],
    ["creation_time = 5", [c("attribute", "creation_time", "=", 5)]],
    ["creation_time != 5", [c("attribute", "creation_time", "!=", 5)]],
    ["creation_time < 5", [c("attribute", "creation_time", "<", 5)]],
    ["creation_time <= 5", [c("attribute", "creation_time", "<=", 5)]],
    ["last_update_time > 5", [c("attribute", "last_update_time", ">", 5)]],
    ["last_update_time >= 5", [c("attribute", "last_update_time", ">=", 5)]],
    ["tags.k = 'v'", [c("tag", "k", "=", "v")]],
    ["tag.k != 'v'", [c("tag", "k", "!=", "v")]],
    ["tags.k LIKE 'v%'", [c("tag", "k", "LIKE", "v%")]],
    ["tags.`k 2` ILIKE 'v%'", [c("tag", "k 2", "ILIKE", "v%")]],
    ["tags.k IS NULL", [c("tag", "k", "IS NULL", null)]],
    ["tags.k IS NOT NULL", [c("tag", "k", "IS NOT NULL", null)]],
    ["name = 'a' AND tags.k = 'v'", [c("attribute", "name", "=", "a"), c("tag", "k", "=", "v")]],
  ];
  for (const [input, expected] of table) {
    assert.deepEqual(parseExperimentFilter(input), expected, input);
  }
  assert.deepEqual(parseExperimentFilter(""), []);
  assert.deepEqual(parseExperimentFilter(undefined), []);
});

Deno.test("parseExperimentFilter() rejects what MLflow rejects", () => {
  const table: [string, RegExp][] = [
    ["metrics.a > 1", /unknown entity 'metrics' at position 1; experiments/],
    ["params.a = 'x'", /unknown entity 'params'/],
    ["attributes.name = 'x'", /unknown entity 'attributes'/],
    ["experiment_id = '1'", /unknown experiment attribute 'experiment_id'/],
    ["lifecycle_stage = 'active'", /unknown experiment attribute 'lifecycle_stage'/],
    ["name IN ('a')", /comparator 'IN' at position 6 is not supported for attribute 'name'/],
    ["name > 'a'", /comparator '>'.*attribute 'name'/],
    ["name IS NULL", /comparator 'IS NULL'.*attribute 'name'/],
    ["creation_time LIKE '5'", /comparator 'LIKE'.*attribute 'creation_time'/],
    ["creation_time > '5'", /attribute 'creation_time' needs a numeric value/],
    ["name = 5", /attribute 'name' needs a value in single or double quotes/],
    ["tags.k > 'v'", /comparator '>'.*tag 'k'/],
    ["tags.k = 1", /tag 'k' needs a value in single or double quotes/],
    ["name = 'a' OR name = 'b'", /'OR' at position 12/],
  ];
  for (const [input, pattern] of table) {
    rejects(() => parseExperimentFilter(input), pattern);
    rejects(() => parseExperimentFilter(input), /^Invalid experiment search filter "/);
  }
});
