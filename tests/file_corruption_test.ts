/**
 * A hand-damaged mlruns tree through the REST API: each corruption of a metric, param or tag file
 * or of a meta.yaml field gives a warning naming the file and never a 500 (which the Python
 * client would retry for minutes). The healthy parts of the run stay readable.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createApp } from "../src/api/app.ts";
import { FileStore } from "../src/store/file/file_store.ts";

interface Corruption {
  name: string;
  /** Store-relative file, with `<run>` for the run folder and `<exp>` for the experiment. */
  file: string;
  /** New bytes of the file, or bytes appended to it. */
  write?: string | Uint8Array;
  append?: string;
  /** The file replaced by a FIFO (reading it would block forever). */
  fifo?: boolean;
  /** A meta.yaml line replaced: [field, new YAML value]. */
  field?: [string, string];
  /** What the damage takes away: the run (meta.yaml), the experiment, or just one value. */
  loses: "run" | "experiment" | "value";
}

const BAD_UTF8 = new Uint8Array([0xff, 0xfe, 0x31, 0x0a]);

const TABLE: Corruption[] = [
  {
    name: "metric line of four fields",
    file: "<run>/metrics/m",
    append: "1 2 3 4\n",
    loses: "value",
  },
  { name: "metric garbage line", file: "<run>/metrics/m", append: "garbage\n", loses: "value" },
  { name: "metric non-number value", file: "<run>/metrics/m", append: "5 abc 9\n", loses: "value" },
  { name: "metric non-UTF-8 bytes", file: "<run>/metrics/m", write: BAD_UTF8, loses: "value" },
  { name: "metric line of one field", file: "<run>/metrics/m", append: "17\n", loses: "value" },
  { name: "metric huge step", file: "<run>/metrics/m", append: "1 2 1e999\n", loses: "value" },
  { name: "param of non-UTF-8 bytes", file: "<run>/params/p", write: BAD_UTF8, loses: "value" },
  { name: "tag of non-UTF-8 bytes", file: "<run>/tags/t", write: BAD_UTF8, loses: "value" },
  {
    name: "run start_time a word",
    file: "<run>/meta.yaml",
    field: ["start_time", "abc"],
    loses: "run",
  },
  {
    name: "run start_time a list",
    file: "<run>/meta.yaml",
    field: ["start_time", "[1]"],
    loses: "run",
  },
  {
    name: "run end_time a fraction",
    file: "<run>/meta.yaml",
    field: ["end_time", "1.5"],
    loses: "run",
  },
  {
    name: "run end_time infinite",
    file: "<run>/meta.yaml",
    field: ["end_time", ".inf"],
    loses: "run",
  },
  { name: "run status 99", file: "<run>/meta.yaml", field: ["status", "99"], loses: "run" },
  {
    name: "run status a mapping",
    file: "<run>/meta.yaml",
    field: ["status", "{a: 1}"],
    loses: "run",
  },
  {
    name: "run stage a number",
    file: "<run>/meta.yaml",
    field: ["lifecycle_stage", "5"],
    loses: "run",
  },
  { name: "run id a list", file: "<run>/meta.yaml", field: ["run_id", "[x]"], loses: "run" },
  {
    name: "run experiment id a map",
    file: "<run>/meta.yaml",
    field: ["experiment_id", "{}"],
    loses: "run",
  },
  {
    name: "run user_id a mapping",
    file: "<run>/meta.yaml",
    field: ["user_id", "{a: 1}"],
    loses: "run",
  },
  {
    name: "run artifact_uri a list",
    file: "<run>/meta.yaml",
    field: ["artifact_uri", "[1, 2]"],
    loses: "run",
  },
  { name: "run name a list", file: "<run>/meta.yaml", field: ["run_name", "[1]"], loses: "run" },
  {
    name: "run deleted_time a word",
    file: "<run>/meta.yaml",
    field: ["deleted_time", "soon"],
    loses: "run",
  },
  { name: "run meta.yaml a list", file: "<run>/meta.yaml", write: "- 1\n- 2\n", loses: "run" },
  { name: "run meta.yaml binary", file: "<run>/meta.yaml", write: BAD_UTF8, loses: "run" },
  {
    name: "experiment name a list",
    file: "<exp>/meta.yaml",
    field: ["name", "[a]"],
    loses: "experiment",
  },
  {
    name: "experiment creation_time a word",
    file: "<exp>/meta.yaml",
    field: ["creation_time", "x"],
    loses: "experiment",
  },
  {
    name: "experiment location a map",
    file: "<exp>/meta.yaml",
    field: ["artifact_location", "{a: 1}"],
    loses: "experiment",
  },
  { name: "experiment tag of non-UTF-8", file: "<exp>/tags/et", write: BAD_UTF8, loses: "value" },
  { name: "metric file a FIFO", file: "<run>/metrics/m", fifo: true, loses: "value" },
  { name: "param file a FIFO", file: "<run>/params/p", fifo: true, loses: "value" },
  { name: "tag file a FIFO", file: "<run>/tags/t", fifo: true, loses: "value" },
  { name: "run meta.yaml a FIFO", file: "<run>/meta.yaml", fifo: true, loses: "run" },
  { name: "experiment meta.yaml a FIFO", file: "<exp>/meta.yaml", fifo: true, loses: "experiment" },
];

function replaceField(text: string, field: string, value: string): string {
  const lines = text.split("\n").filter((l) => !l.startsWith(`${field}:`));
  return [`${field}: ${value}`, ...lines].join("\n");
}

function age(path: string): void {
  const old = new Date(Date.now() - 60_000);
  Deno.utimeSync(path, old, old);
}

async function damagedApp(c: Corruption) {
  const dir = await Deno.makeTempDir({ prefix: "mlt-corrupt-" });
  const root = join(dir, "mlruns");
  const warnings: string[] = [];
  const writer = new FileStore(root, { warn: () => {} });
  const exp = await writer.createExperiment("e");
  await writer.setExperimentTag(exp, { key: "et", value: "v" });
  const run = (await writer.createRun({ experimentId: exp, startTime: 5 })).info.runId;
  const other = (await writer.createRun({ experimentId: exp, startTime: 6 })).info.runId;
  for (const id of [run, other]) {
    await writer.logBatch(id, {
      metrics: [{ key: "m", value: 0.5, timestamp: 1, step: 0 }, {
        key: "ok",
        value: 2,
        timestamp: 1,
        step: 0,
      }],
      params: [{ key: "p", value: "x" }, { key: "q", value: "y" }],
      tags: [{ key: "t", value: "z" }],
    });
  }
  await writer.close();
  const path = join(root, c.file.replace("<run>", `${exp}/${run}`).replace("<exp>", exp));
  if (c.append !== undefined) Deno.writeTextFileSync(path, c.append, { append: true });
  else if (c.write !== undefined) {
    if (typeof c.write === "string") Deno.writeTextFileSync(path, c.write);
    else Deno.writeFileSync(path, c.write);
  } else if (c.fifo) {
    Deno.removeSync(path);
    const made = new Deno.Command("mkfifo", { args: [path] }).outputSync();
    assert.equal(made.code, 0, "mkfifo");
  } else if (c.field) {
    Deno.writeTextFileSync(path, replaceField(Deno.readTextFileSync(path), ...c.field));
  }
  age(join(path, ".."));
  age(path);
  const store = new FileStore(root, { warn: (m) => warnings.push(m) });
  const app = createApp({ store, artifactsDestination: join(dir, "mlartifacts") });
  const call = async (method: "GET" | "POST", name: string, body: Record<string, unknown>) => {
    const url = `/api/2.0/mlflow/${name}`;
    const res = method === "GET"
      ? await app.request(`${url}?${new URLSearchParams(body as Record<string, string>)}`)
      : await app.request(url, {
        method,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    return { status: res.status, json: await res.json() };
  };
  return {
    exp,
    run,
    other,
    warnings,
    call,
    rel: c.file.replace("<run>", `${exp}/${run}`).replace("<exp>", exp),
    async close() {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

for (const c of TABLE) {
  Deno.test(`a damaged mlruns tree (${c.name}) gives a warning, never a 500`, async () => {
    const t = await damagedApp(c);
    try {
      const statuses: [string, number][] = [];
      const search = await t.call("POST", "runs/search", { experiment_ids: [t.exp] });
      statuses.push(["runs/search", search.status]);
      const ids = (search.json.runs ?? []).map((r: { info: { run_id: string } }) => r.info.run_id);
      if (c.loses !== "experiment") {
        assert.ok(ids.includes(t.other), "the healthy run is still found");
        assert.equal(ids.includes(t.run), c.loses === "value", JSON.stringify(ids));
      }
      const exps = await t.call("POST", "experiments/search", { max_results: 10 });
      statuses.push(["experiments/search", exps.status]);
      const names = (exps.json.experiments ?? []).map((e: { name: string }) => e.name);
      assert.equal(names.includes("e"), c.loses !== "experiment", JSON.stringify(names));
      const exp = await t.call("GET", "experiments/get", { experiment_id: t.exp });
      statuses.push(["experiments/get", exp.status]);
      const get = await t.call("GET", "runs/get", { run_id: t.run });
      statuses.push(["runs/get", get.status]);
      for (const [what, res] of [["run", get], ["experiment", exp]] as const) {
        if (c.loses !== what) continue;
        assert.equal(res.json.error_code, "RESOURCE_DOES_NOT_EXIST", JSON.stringify(res.json));
        assert.ok(res.json.message.includes(`"${t.rel}"`), res.json.message);
      }
      if (c.loses === "value") {
        const data = get.json.run.data;
        assert.ok(data.metrics.some((m: { key: string }) => m.key === "ok"), "other metrics stay");
        assert.ok(data.params.some((p: { key: string }) => p.key === "q"), "other params stay");
      }
      for (const max of [undefined, "1", "2"]) {
        const q: Record<string, string> = { run_id: t.run, metric_key: "m" };
        if (max) q.max_results = max;
        const h = await t.call("GET", "metrics/get-history", q);
        statuses.push([`metrics/get-history ${max}`, h.status]);
        if (c.loses === "value" && c.file.endsWith("metrics/m")) {
          // The good point survives; the bad line is gone, and pages do not repeat or lose it.
          const values = (h.json.metrics ?? []).map((m: { value: number }) => m.value);
          assert.deepEqual(values, c.write || c.fifo ? [] : [0.5], `max_results ${max}`);
        }
      }
      assert.deepEqual(statuses.filter(([, s]) => s >= 500), [], "no 5xx");
      const naming = () => t.warnings.filter((w) => w.includes(`"${t.rel}"`)).length;
      assert.ok(naming() >= 1, `a warning names "${t.rel}":\n${t.warnings.join("\n")}`);
      const before = t.warnings.length;
      await t.call("POST", "runs/search", { experiment_ids: [t.exp] });
      await t.call("GET", "runs/get", { run_id: t.run });
      await t.call("GET", "metrics/get-history", { run_id: t.run, metric_key: "m" });
      assert.equal(t.warnings.length, before, `one warning, not one per read:\n${t.warnings}`);
    } finally {
      await t.close();
    }
  });
}
