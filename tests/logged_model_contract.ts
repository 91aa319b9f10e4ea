/**
 * The logged-model behaviour every TrackingStore must have (MLflow 3's `logged-models` API, runs'
 * model inputs and outputs, metrics logged with a model id), written against the interface only:
 * `loggedModelContract("file", makeStore)`, as tests/store_contract.ts does for runs.
 */
import assert from "node:assert/strict";
import type { LoggedModel, Metric } from "../src/model.ts";
import type { TrackingStore } from "../src/store/store.ts";
import { contractTest, type MakeStore, rejectsWith } from "./store_contract.ts";

const MODEL_ID = /^m-[0-9a-f]{32}$/;
const UNKNOWN = "m-" + "0".repeat(32);

function point(key: string, value: number, extra: Partial<Metric> = {}): Metric {
  return { key, value, timestamp: 1000, step: 0, ...extra };
}

function names(models: LoggedModel[]): string[] {
  return models.map((m) => m.name);
}

/** Registers the contract's Deno tests for one store; `skip` maps test names to reasons. */
export function loggedModelContract(
  name: string,
  makeStore: MakeStore,
  skip: Record<string, string> = {},
): void {
  const test = contractTest(`${name}: logged models`, makeStore, skip);

  test("createLoggedModel() stores MLflow's fields; getLoggedModel() reads them", async (s) => {
    const exp = await s.createExperiment("lm");
    const run = (await s.createRun({ experimentId: exp })).info.runId;
    const m = await s.createLoggedModel({
      experimentId: exp,
      name: "clf",
      modelType: "sklearn",
      sourceRunId: run,
      params: [{ key: "C", value: "1.0" }, { key: "nested/p", value: "x" }],
      tags: [{ key: "team", value: "ml" }],
    });
    assert.match(m.modelId, MODEL_ID);
    assert.equal(m.experimentId, exp);
    assert.equal(m.name, "clf");
    assert.equal(m.status, "PENDING");
    assert.equal(m.modelType, "sklearn");
    assert.equal(m.sourceRunId, run);
    const location = (await s.getExperiment(exp)).artifactLocation;
    assert.equal(m.artifactLocation, `${location}/models/${m.modelId}/artifacts`);
    assert.ok(m.creationTimestamp > 0 && m.lastUpdatedTimestamp === m.creationTimestamp);
    assert.deepEqual(m.params, [{ key: "C", value: "1.0" }, { key: "nested/p", value: "x" }]);
    assert.deepEqual(m.tags, [{ key: "team", value: "ml" }]);
    assert.deepEqual(m.metrics, []);
    assert.deepEqual(await s.getLoggedModel(m.modelId), m);
    const unnamed = await s.createLoggedModel({ experimentId: exp });
    assert.match(unnamed.name, /^[a-z]+-[a-z]+-\d+$/);
    assert.notEqual(unnamed.modelId, m.modelId);
  });

  test("unknown ids, bad names and experiments that are missing or deleted", async (s) => {
    const exp = await s.createExperiment("bad");
    for (const id of [UNKNOWN, "nope", "../0", "a/b"]) {
      await rejectsWith(s.getLoggedModel(id), "RESOURCE_DOES_NOT_EXIST", "not found");
      await rejectsWith(s.finalizeLoggedModel(id, "READY"), "RESOURCE_DOES_NOT_EXIST");
      await rejectsWith(
        s.setLoggedModelTags(id, [{ key: "a", value: "b" }]),
        "RESOURCE_DOES_NOT_EXIST",
      );
    }
    await rejectsWith(s.deleteLoggedModel(UNKNOWN), "RESOURCE_DOES_NOT_EXIST", `'${UNKNOWN}'`);
    await rejectsWith(s.logLoggedModelParams(UNKNOWN, []), "RESOURCE_DOES_NOT_EXIST");
    for (const bad of ["a/b", "a.b", "x:y", "50%", "it's", 'say "hi"']) {
      await rejectsWith(
        s.createLoggedModel({ experimentId: exp, name: bad }),
        "INVALID_PARAMETER_VALUE",
        "Invalid model name",
      );
    }
    await rejectsWith(
      s.createLoggedModel({ experimentId: exp, tags: [{ key: "../x", value: "1" }] }),
      "INVALID_PARAMETER_VALUE",
    );
    await rejectsWith(s.createLoggedModel({ experimentId: "123456" }), "RESOURCE_DOES_NOT_EXIST");
    const kept = await s.createLoggedModel({ experimentId: exp, name: "kept" });
    await s.deleteExperiment(exp);
    await rejectsWith(
      s.createLoggedModel({ experimentId: exp, name: "late" }),
      "INVALID_PARAMETER_VALUE",
      `The experiment ${exp} must be in the 'active' state`,
    );
    // A model of a deleted experiment can still be read, as in MLflow.
    assert.equal((await s.getLoggedModel(kept.modelId)).name, "kept");
  });

  test("finalizeLoggedModel() sets the status and the last update", async (s) => {
    const exp = await s.createExperiment("fin");
    const m = await s.createLoggedModel({ experimentId: exp });
    const ready = await s.finalizeLoggedModel(m.modelId, "READY");
    assert.equal(ready.status, "READY");
    assert.ok(ready.lastUpdatedTimestamp >= m.lastUpdatedTimestamp);
    assert.equal(ready.creationTimestamp, m.creationTimestamp);
    assert.equal((await s.getLoggedModel(m.modelId)).status, "READY");
    assert.equal((await s.finalizeLoggedModel(m.modelId, "FAILED")).status, "FAILED");
  });

  test("tags are upserted and deleted; a missing tag is MLflow's error", async (s) => {
    const exp = await s.createExperiment("tags");
    const m = await s.createLoggedModel({ experimentId: exp, tags: [{ key: "a", value: "1" }] });
    await s.setLoggedModelTags(m.modelId, [{ key: "b", value: "2" }, { key: "a", value: "3" }]);
    assert.deepEqual((await s.getLoggedModel(m.modelId)).tags, [
      { key: "a", value: "3" },
      { key: "b", value: "2" },
    ]);
    await s.deleteLoggedModelTag(m.modelId, "a");
    assert.deepEqual((await s.getLoggedModel(m.modelId)).tags, [{ key: "b", value: "2" }]);
    await rejectsWith(
      s.deleteLoggedModelTag(m.modelId, "a"),
      "RESOURCE_DOES_NOT_EXIST",
      `No tag with key 'a' found for model with ID '${m.modelId}'.`,
    );
    await rejectsWith(
      s.setLoggedModelTags(m.modelId, [{ key: "a//b", value: "x" }]),
      "INVALID_PARAMETER_VALUE",
    );
  });

  test("params: more can be logged, the same value again is a no-op, another is refused", async (s) => {
    const exp = await s.createExperiment("params");
    const m = await s.createLoggedModel({ experimentId: exp, params: [{ key: "a", value: "1" }] });
    await s.logLoggedModelParams(m.modelId, [{ key: "b", value: "2" }, { key: "a", value: "1" }]);
    assert.deepEqual((await s.getLoggedModel(m.modelId)).params, [
      { key: "a", value: "1" },
      { key: "b", value: "2" },
    ]);
    await rejectsWith(
      s.logLoggedModelParams(m.modelId, [{ key: "a", value: "9" }]),
      "INVALID_PARAMETER_VALUE",
      "Changing param values is not allowed",
    );
    assert.deepEqual((await s.getLoggedModel(m.modelId)).params[0], { key: "a", value: "1" });
  });

  test("a deleted model is gone for gets, changes and searches, but not with allowDeleted", async (s) => {
    const exp = await s.createExperiment("del");
    const m = await s.createLoggedModel({ experimentId: exp, name: "gone" });
    const other = await s.createLoggedModel({ experimentId: exp, name: "kept" });
    await s.deleteLoggedModel(m.modelId);
    await rejectsWith(s.getLoggedModel(m.modelId), "RESOURCE_DOES_NOT_EXIST", "not found");
    assert.equal((await s.getLoggedModel(m.modelId, { allowDeleted: true })).name, "gone");
    await rejectsWith(s.finalizeLoggedModel(m.modelId, "READY"), "RESOURCE_DOES_NOT_EXIST");
    await rejectsWith(s.deleteLoggedModel(m.modelId), "RESOURCE_DOES_NOT_EXIST");
    await rejectsWith(s.setLoggedModelTags(m.modelId, []), "RESOURCE_DOES_NOT_EXIST");
    const found = await s.searchLoggedModels({ experimentIds: [exp] });
    assert.deepEqual(found.items.map((x) => x.modelId), [other.modelId]);
  });

  test("metrics logged with a model id are recorded on the model and the run", async (s) => {
    const exp = await s.createExperiment("metrics");
    const run = (await s.createRun({ experimentId: exp })).info.runId;
    const m = await s.createLoggedModel({ experimentId: exp, sourceRunId: run });
    await s.logMetric(run, point("acc", 0.5, { modelId: m.modelId, timestamp: 10, step: 1 }));
    await s.logBatch(run, {
      metrics: [
        point("acc", 0.75, { modelId: m.modelId, timestamp: 20, step: 2 }),
        point("loss", 0.25, {
          modelId: m.modelId,
          datasetName: "eval",
          datasetDigest: "d1",
          timestamp: 30,
        }),
        point("plain", 1),
      ],
    });
    const got = (await s.getLoggedModel(m.modelId)).metrics;
    const latest = got.filter((p) => p.key === "acc").sort((a, b) => b.step - a.step)[0];
    assert.deepEqual(latest, {
      key: "acc",
      value: 0.75,
      timestamp: 20,
      step: 2,
      modelId: m.modelId,
      runId: run,
    });
    assert.deepEqual(got.find((p) => p.key === "loss"), {
      key: "loss",
      value: 0.25,
      timestamp: 30,
      step: 0,
      datasetName: "eval",
      datasetDigest: "d1",
      modelId: m.modelId,
      runId: run,
    });
    assert.ok(!got.some((p) => p.key === "plain"));
    const runMetrics = (await s.getRun(run)).data.metrics.map((p) => p.key).sort();
    assert.deepEqual(runMetrics, ["acc", "loss", "plain"]);
    // A batch naming an unknown model is refused whole.
    await rejectsWith(
      s.logBatch(run, { metrics: [point("x", 1), point("y", 2, { modelId: UNKNOWN })] }),
      "RESOURCE_DOES_NOT_EXIST",
    );
    assert.ok(!(await s.getRun(run)).data.metrics.some((p) => p.key === "x"));
  });

  test("runs carry the models they used (inputs) and produced (outputs)", async (s) => {
    const exp = await s.createExperiment("links");
    const run = (await s.createRun({ experimentId: exp })).info.runId;
    const a = await s.createLoggedModel({ experimentId: exp });
    const b = await s.createLoggedModel({ experimentId: exp });
    const empty = await s.getRun(run);
    assert.deepEqual(empty.inputs.modelInputs ?? [], []);
    assert.deepEqual(empty.outputs?.modelOutputs ?? [], []);
    await s.logOutputs(run, [{ modelId: a.modelId, step: 3 }]);
    await s.logOutputs(run, [{ modelId: a.modelId, step: 3 }]);
    await s.logInputs(run, [], [{ modelId: b.modelId }]);
    await s.logInputs(run, [], [{ modelId: b.modelId }]);
    const got = await s.getRun(run);
    assert.deepEqual(got.outputs?.modelOutputs, [{ modelId: a.modelId, step: 3 }]);
    assert.deepEqual(got.inputs.modelInputs, [{ modelId: b.modelId }]);
    const [searched] = (await s.searchRuns({ experimentIds: [exp] })).items;
    assert.deepEqual(searched.outputs?.modelOutputs, [{ modelId: a.modelId, step: 3 }]);
    // MLflow's SQL store leaves model inputs out of runs/search; its file store sends them.
    assert.ok([undefined, 0, 1].includes(searched.inputs.modelInputs?.length));
    if (searched.inputs.modelInputs?.length) {
      assert.deepEqual(searched.inputs.modelInputs, [{ modelId: b.modelId }]);
    }
    await rejectsWith(s.logOutputs(run, [{ modelId: "../x", step: 0 }]), "INVALID_PARAMETER_VALUE");
    await s.deleteRun(run);
    await rejectsWith(
      s.logOutputs(run, [{ modelId: b.modelId, step: 0 }]),
      "INVALID_PARAMETER_VALUE",
      "must be in the 'active' state",
    );
  });

  // Models a, b, c, d with params, tags, metrics and statuses for the search cases.
  async function searchFixture(s: TrackingStore): Promise<{ exp: string; ids: string[] }> {
    const exp = await s.createExperiment("search");
    const run = (await s.createRun({ experimentId: exp })).info.runId;
    const ids: string[] = [];
    const rows = [
      ["a", "0.1", 0.7, "eval"],
      ["b", "0.1", 0.9, "train"],
      ["c", "0.2", 0.8, "eval"],
      ["d", "0.3", undefined, undefined],
    ] as const;
    for (const [name, lr, acc, ds] of rows) {
      const m = await s.createLoggedModel({
        experimentId: exp,
        name,
        params: [{ key: "lr", value: lr }],
        tags: [{ key: "team", value: name === "d" ? "Ops" : "ml" }],
      });
      if (acc !== undefined) {
        await s.logMetric(
          run,
          point("acc", acc, { modelId: m.modelId, datasetName: ds, datasetDigest: "x1" }),
        );
      }
      if (name !== "c") await s.finalizeLoggedModel(m.modelId, "READY");
      ids.push(m.modelId);
    }
    return { exp, ids };
  }

  test("searchLoggedModels() filters by attributes, metrics, params, tags and datasets", async (s) => {
    const { exp } = await searchFixture(s);
    const find = async (filter?: string, datasets?: { datasetName: string }[]) =>
      names((await s.searchLoggedModels({ experimentIds: [exp], filter, datasets })).items).sort();
    assert.deepEqual(await find(), ["a", "b", "c", "d"]);
    assert.deepEqual(await find("name = 'b'"), ["b"]);
    assert.deepEqual(await find("attributes.name LIKE '_'"), ["a", "b", "c", "d"]);
    assert.deepEqual(await find("name IN ('a', 'd')"), ["a", "d"]);
    assert.deepEqual(await find("status = 'PENDING'"), ["c"]);
    assert.deepEqual(await find("status != 'PENDING'"), ["a", "b", "d"]);
    assert.deepEqual(await find("creation_timestamp > 0 AND last_updated_time > 0"), [
      "a",
      "b",
      "c",
      "d",
    ]);
    assert.deepEqual(await find("metrics.acc > 0.75"), ["b", "c"]);
    assert.deepEqual(await find("metrics.acc >= 0.7 AND params.lr = '0.1'"), ["a", "b"]);
    assert.deepEqual(await find("params.lr != '0.1'"), ["c", "d"]);
    assert.deepEqual(await find("tags.team ILIKE 'OPS'"), ["d"]);
    assert.deepEqual(await find("tags.team = 'ml' AND tags.missing = 'x'"), []);
    assert.deepEqual(await find(undefined, [{ datasetName: "eval" }]), ["a", "c"]);
    assert.deepEqual(await find("metrics.acc > 0.75", [{ datasetName: "eval" }]), ["c"]);
    const other = await s.createExperiment("other");
    await s.createLoggedModel({ experimentId: other, name: "z" });
    const both = await s.searchLoggedModels({ experimentIds: [exp, other, "123456"] });
    assert.equal(both.items.length, 5);
  });

  test("searchLoggedModels() orders as MLflow, missing values last", async (s) => {
    const { exp, ids } = await searchFixture(s);
    const order = async (orderBy: Parameters<TrackingStore["searchLoggedModels"]>[0]["orderBy"]) =>
      names((await s.searchLoggedModels({ experimentIds: [exp], orderBy })).items);
    // Default: newest first.
    assert.deepEqual(await order(undefined), ["d", "c", "b", "a"]);
    assert.deepEqual(await order([{ fieldName: "name" }]), ["a", "b", "c", "d"]);
    assert.deepEqual(await order([{ fieldName: "name", ascending: false }]), ["d", "c", "b", "a"]);
    assert.deepEqual(await order([{ fieldName: "metrics.acc", ascending: false }]), [
      "b",
      "c",
      "a",
      "d",
    ]);
    assert.deepEqual(await order([{ fieldName: "metrics.acc" }]), ["a", "c", "b", "d"]);
    assert.deepEqual(
      await order([{ fieldName: "metrics.acc", datasetName: "eval", ascending: false }]),
      ["c", "a", "d", "b"],
    );
    assert.deepEqual(
      await order([{ fieldName: "status" }, { fieldName: "model_id" }]).then((
        x,
      ) => x[0]),
      "c",
    );
    const byId = [...ids].sort();
    assert.deepEqual(
      (await s.searchLoggedModels({ experimentIds: [exp], orderBy: [{ fieldName: "model_id" }] }))
        .items.map((m) => m.modelId),
      byId,
    );
  });

  test("searchLoggedModels() pages with MLflow's tokens, 100 models by default", async (s) => {
    const { exp } = await searchFixture(s);
    const orderBy = [{ fieldName: "name" }];
    const seen: string[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const page = await s.searchLoggedModels({
        experimentIds: [exp],
        orderBy,
        maxResults: 3,
        pageToken,
      });
      seen.push(...names(page.items));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken);
    assert.deepEqual(seen, ["a", "b", "c", "d"]);
    assert.equal(pages, 2);
    const first = await s.searchLoggedModels({ experimentIds: [exp], orderBy, maxResults: 2 });
    const token = JSON.parse(atob(first.nextPageToken!));
    assert.deepEqual(token, {
      experiment_ids: [exp],
      filter_string: null,
      order_by: [{ field_name: "name", ascending: true, dataset_name: null, dataset_digest: null }],
      offset: 2,
    });
    for (
      const other of [
        { experimentIds: [exp, "0"], orderBy },
        { experimentIds: [exp], orderBy, filter: "name != 'x'" },
        { experimentIds: [exp] },
      ]
    ) {
      await rejectsWith(
        s.searchLoggedModels({ ...other, pageToken: first.nextPageToken }),
        "INVALID_PARAMETER_VALUE",
        /in the page token do(es)? not match/,
      );
    }
    for (const bad of ["not base64!", btoa("[1]"), btoa('{"offset": -1}'), "x".repeat(2000)]) {
      await rejectsWith(
        s.searchLoggedModels({ experimentIds: [exp], pageToken: bad }),
        "INVALID_PARAMETER_VALUE",
        "Invalid page token",
      );
    }
    const many = await s.createExperiment("many");
    for (let i = 0; i < 101; i++) await s.createLoggedModel({ experimentId: many });
    const page = await s.searchLoggedModels({ experimentIds: [many] });
    assert.equal(page.items.length, 100);
    const rest = await s.searchLoggedModels({
      experimentIds: [many],
      pageToken: page.nextPageToken,
    });
    assert.equal(rest.items.length, 1);
    assert.equal(rest.nextPageToken, undefined);
  });

  test("searchLoggedModels() sees every change made since the same search ran", async (s) => {
    const { exp } = await searchFixture(s);
    const req = {
      experimentIds: [exp],
      filter: "tags.team = 'ml'",
      orderBy: [{ fieldName: "metrics.acc", ascending: false }],
      maxResults: 2,
    };
    const walk = async () => {
      const out: string[] = [];
      let pageToken: string | undefined;
      do {
        const page = await s.searchLoggedModels({ ...req, pageToken });
        out.push(...names(page.items));
        pageToken = page.nextPageToken;
      } while (pageToken);
      return out;
    };
    assert.deepEqual(await walk(), ["b", "c", "a"]);
    const e = await s.createLoggedModel({
      experimentId: exp,
      name: "e",
      tags: [{ key: "team", value: "ml" }],
    });
    assert.deepEqual(await walk(), ["b", "c", "a", "e"]);
    const run = (await s.createRun({ experimentId: exp })).info.runId;
    await s.logMetric(run, point("acc", 0.95, { modelId: e.modelId, timestamp: 99_999 }));
    assert.deepEqual(await walk(), ["e", "b", "c", "a"]);
    const [first] = (await s.searchLoggedModels({ ...req, maxResults: 1 })).items;
    await s.setLoggedModelTags(first.modelId, [{ key: "team", value: "other" }]);
    assert.deepEqual(await walk(), ["b", "c", "a"]);
    await s.deleteLoggedModel(
      (await s.searchLoggedModels({ ...req, maxResults: 1 })).items[0].modelId,
    );
    assert.deepEqual(await walk(), ["c", "a"]);
  });

  test("searchLoggedModels() refuses bad filters and orders with a clear message", async (s) => {
    const exp = await s.createExperiment("errors");
    const search = (req: Partial<Parameters<TrackingStore["searchLoggedModels"]>[0]>) =>
      s.searchLoggedModels({ experimentIds: [exp], ...req });
    const cases: [string, RegExp][] = [
      ["name = 'a' OR name = 'b'", /'OR'.*AND only/],
      ["foo = 'a'", /unknown attribute 'foo'/],
      ["metrics.acc = 'high'", /metric 'acc' needs a numeric value/],
      ["params.lr > 1", /comparator '>'.*not supported for param 'lr'/],
      ["datasets.name = 'x'", /unknown entity 'datasets'/],
      ["name = ", /missing value/],
      ["creation_timestamp = 'yesterday'", /needs a numeric value/],
    ];
    for (const [filter, message] of cases) {
      const e = await rejectsWith(search({ filter }), "INVALID_PARAMETER_VALUE", message);
      assert.match(e.message, /Invalid logged model search filter/);
    }
    await rejectsWith(
      search({ orderBy: [{ fieldName: "params.lr" }] }),
      "INVALID_PARAMETER_VALUE",
      "Invalid order by field name: params.lr",
    );
    await rejectsWith(
      search({ orderBy: [{ fieldName: "nope" }] }),
      "INVALID_PARAMETER_VALUE",
      "Invalid order by field name: nope",
    );
    await rejectsWith(
      search({ orderBy: [{ fieldName: "metrics.acc", datasetDigest: "d" }] }),
      "INVALID_PARAMETER_VALUE",
      "`dataset_digest` can only be specified if `dataset_name` is also specified.",
    );
    // The REST API refuses it as a missing required field before the store sees it.
    await rejectsWith(
      search({ datasets: [{ datasetName: "" }] }),
      "INVALID_PARAMETER_VALUE",
      /`dataset_name` in the `datasets` clause must be specified\.|'datasets\[0\]\.dataset_name'/,
    );
    await rejectsWith(search({ maxResults: -1 }), "INVALID_PARAMETER_VALUE", "max_results");
    await rejectsWith(
      s.searchLoggedModels({ experimentIds: ["../x"] }),
      "INVALID_PARAMETER_VALUE",
    );
  });

  test("deletedLoggedModelIds() lists deleted models; hardDeleteLoggedModel() purges", async (s) => {
    const exp = await s.createExperiment("gc");
    const run = (await s.createRun({ experimentId: exp })).info.runId;
    const gone = await s.createLoggedModel({ experimentId: exp });
    const kept = await s.createLoggedModel({ experimentId: exp });
    await s.logMetric(run, point("acc", 1, { modelId: gone.modelId }));
    assert.deepEqual(await s.deletedLoggedModelIds(), []);
    await s.deleteLoggedModel(gone.modelId);
    assert.deepEqual(await s.deletedLoggedModelIds(), [gone.modelId]);
    assert.deepEqual(await s.deletedLoggedModelIds(0), []);
    await s.hardDeleteLoggedModel(gone.modelId);
    await rejectsWith(
      s.getLoggedModel(gone.modelId, { allowDeleted: true }),
      "RESOURCE_DOES_NOT_EXIST",
    );
    assert.deepEqual(await s.deletedLoggedModelIds(), []);
    assert.equal((await s.getLoggedModel(kept.modelId)).modelId, kept.modelId);
    // Purging the experiment takes its models along.
    await s.deleteExperiment(exp);
    await s.hardDeleteExperiment(exp);
    await rejectsWith(
      s.getLoggedModel(kept.modelId, { allowDeleted: true }),
      "RESOURCE_DOES_NOT_EXIST",
    );
  });
}
