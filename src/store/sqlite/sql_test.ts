/** Pure tests of search compilation: LIKE → GLOB, bound parameters, sort keys, metric encoding. */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { parseExperimentFilter, parseRunFilter } from "../../search/filter.ts";
import { parseRunOrderBy } from "../../search/order_by.ts";
import { likeMatcher } from "../../search/match.ts";
import { canDrive, compileDriverSample, compileRunSearch, likeToGlob } from "./sql.ts";
import { compileExperimentSearch } from "./sql_experiments.ts";
import { decodeMetricValue, encodeMetricValue, MAX_DOUBLE, safeInt } from "./rows.ts";
import { missingColumn, REQUIRED_COLUMNS, revisionState, SCHEMA_REVISION } from "./schema.ts";

Deno.test("likeToGlob() keeps only % and _ special", () => {
  const table: [string, string][] = [
    ["a%", "a*"],
    ["_b_", "?b?"],
    ["100%*", "100*[*]"],
    ["what?", "what[?]"],
    ["[x]", "[[]x]"],
    ["back\\slash%", "back\\slash*"],
    ["", ""],
  ];
  for (const [like, glob] of table) assert.equal(likeToGlob(like), glob, like);
});

Deno.test("GLOB of likeToGlob() matches exactly what match.ts's LIKE matches", () => {
  const db = new DatabaseSync(":memory:");
  const glob = db.prepare("SELECT ? GLOB ? AS m");
  const patterns = ["a%", "%b", "_", "a_c", "%", "a\\%", "[a]%", "*", "?x", "é_", "%.%", "A%"];
  const values = ["a", "abc", "b", "", "a\\bc", "[a]z", "*", "?x", "éé", "x.y", "Ab", "a_c", "🚀"];
  try {
    for (const p of patterns) {
      const like = likeMatcher(p, false);
      for (const v of values) {
        const sql = (glob.get(v, likeToGlob(p)) as { m: number }).m === 1;
        assert.equal(sql, like(v), `${JSON.stringify(v)} LIKE ${JSON.stringify(p)}`);
      }
    }
  } finally {
    db.close();
  }
});

Deno.test("compileRunSearch() binds every user value as a parameter", () => {
  const evil = "x'; DROP TABLE runs; --";
  const filter = parseRunFilter(
    `params."${evil}" = '${evil.replaceAll("'", "''")}' and tags.t LIKE '%${"a"}' ` +
      `and metrics.m >= 1e999 and attributes.run_id IN ('a1', 'b2') and datasets.context = 'c'`,
  );
  const q = compileRunSearch({
    experimentIds: [1n, 123456789012345678n],
    stages: ["active"],
    filter,
    order: parseRunOrderBy([`params.\`${evil}\` DESC`, "metrics.m", "attributes.run_name"]),
    limit: 11,
    offset: 20,
  });
  assert.ok(!q.sql.includes("DROP"), q.sql);
  assert.equal(q.sql.split("?").length - 1, q.params.length);
  assert.ok(q.params.includes(evil));
  assert.ok(q.params.includes(MAX_DOUBLE), "±Infinity is bound as MLflow's ±max double");
  assert.deepEqual(q.params.slice(-2), [11, 20]);
  assert.ok(q.params.includes(123456789012345678n));
});

Deno.test("compileRunSearch() with a driver walks that key and reads its sort key from it", () => {
  const base = {
    experimentIds: [7n],
    stages: ["active"],
    filter: parseRunFilter("metrics.acc > 0.9 and params.lr = '0.01'"),
    order: parseRunOrderBy(["metrics.acc DESC"]),
    limit: 101,
    offset: 0,
  };
  const q = compileRunSearch({ ...base, driver: 0 });
  assert.match(
    q.sql,
    /FROM latest_metrics d CROSS JOIN runs r ON r\.run_uuid = d\.run_uuid +WHERE/,
  );
  assert.match(q.sql, /p\.run_uuid = d\.run_uuid AND p\.key = \?/);
  assert.match(q.sql, /ORDER BY CASE WHEN d\.run_uuid IS NULL THEN 2 WHEN d\.is_nan/);
  assert.equal(q.sql.split("?").length - 1, q.params.length);
  assert.deepEqual(q.params, ["acc", 0.9, 7n, "active", "lr", "0.01", 101, 0]);
  // Driven by the param, the metric sort key is joined as without a driver.
  const byParam = compileRunSearch({ ...base, driver: 1 });
  assert.match(byParam.sql, /^SELECT r\.run_uuid AS run_uuid FROM params d CROSS JOIN runs r/);
  assert.match(byParam.sql, /LEFT JOIN latest_metrics o0 ON o0\.run_uuid = r\.run_uuid/);
  assert.deepEqual(byParam.params, ["acc", "lr", "0.01", 7n, "active", "acc", 0.9, 101, 0]);
  assert.throws(() =>
    compileRunSearch({ ...base, filter: parseRunFilter("tags.t IS NULL"), driver: 0 })
  );
  const sample = compileDriverSample({ ...base, experimentIds: [1n, 2n] }, 0, 64);
  assert.equal(sample.sql.split("?").length - 1, sample.params.length);
  assert.deepEqual(sample.params, [1n, 2n, "active", 0.9, "acc", 64]);
});

Deno.test("canDrive(): keyed comparisons that need their key", () => {
  const table: [string, boolean][] = [
    ["metrics.m != 1", true],
    ["params.p LIKE '%'", true],
    ["tags.t IS NOT NULL", true],
    ["tags.t IS NULL", false],
    ["params.p IS NULL", false],
    ["attributes.status = 'x'", false],
    ["datasets.name = 'd'", false],
  ];
  for (const [f, want] of table) assert.equal(canDrive(parseRunFilter(f)[0]), want, f);
});

Deno.test("compileExperimentSearch() orders by MLflow's defaults and tie-breaks", () => {
  const base = { stages: ["active"], filter: [], limit: 5, offset: 0 };
  const def = compileExperimentSearch({ ...base, order: [] });
  assert.match(
    def.sql,
    /ORDER BY e\.creation_time IS NULL, e\.creation_time DESC, .*e\.experiment_id LIMIT/,
  );
  const byName = compileExperimentSearch({
    ...base,
    order: [{ entity: "attribute", key: "name", ascending: true }],
    filter: parseExperimentFilter("tags.k = 'v' and name ILIKE 'a%'"),
  });
  assert.match(byName.sql, /e\.name, e\.experiment_id IS NULL, e\.experiment_id DESC LIMIT/);
  assert.deepEqual(byName.params, ["active", "k", "v", "a%", 5, 0]);
});

Deno.test("metric values encode as MLflow stores them and decode back", () => {
  const table: [number, [number, number]][] = [
    [NaN, [0, 1]],
    [Infinity, [MAX_DOUBLE, 0]],
    [-Infinity, [-MAX_DOUBLE, 0]],
    [1.5, [1.5, 0]],
    [-0, [-0, 0]],
  ];
  for (const [v, stored] of table) {
    assert.deepEqual(encodeMetricValue(v), stored);
    assert.ok(Object.is(decodeMetricValue(stored[0], stored[1]), v), String(v));
  }
  // MLflow's own max double reads back as Infinity: the two are one value in SQL.
  assert.equal(decodeMetricValue(MAX_DOUBLE, 0), Infinity);
});

Deno.test("safeInt() returns integers beyond 2^53 as the nearest double instead of throwing", () => {
  const db = new DatabaseSync(":memory:");
  try {
    db.exec("CREATE TABLE t (step BIGINT); INSERT INTO t VALUES (9223372036854775807), (7)");
    const got = db.prepare(`SELECT ${safeInt("step")} FROM t ORDER BY rowid`).all();
    assert.deepEqual(got.map((r) => r.step), [9223372036854775807, 7]);
  } finally {
    db.close();
  }
});

Deno.test("revisionState() and missingColumn() judge a database", () => {
  assert.equal(revisionState(SCHEMA_REVISION), "current");
  assert.equal(revisionState("451aebb31d03"), "older");
  assert.equal(revisionState("bf29a5ff90ea"), "older");
  assert.equal(revisionState("0123456789ab"), "unknown");
  const full = new Map(Object.entries(REQUIRED_COLUMNS).map(([t, c]) => [t, [...c, "extra"]]));
  assert.equal(missingColumn(full), undefined);
  full.set("runs", full.get("runs")!.filter((c) => c !== "deleted_time"));
  assert.equal(missingColumn(full), 'column "runs.deleted_time"');
  full.delete("inputs");
  assert.equal(missingColumn(full), 'column "runs.deleted_time"');
  full.set("runs", [...REQUIRED_COLUMNS.runs]);
  assert.equal(missingColumn(full), 'table "inputs"');
});
