/**
 * A child process for the file store's cross-process tests:
 *   metrics <root> <runId> <n>   logs n metric points
 *   create <root> <name>         creates an experiment
 *   param <root> <runId> <value> logs param "p"
 *   status <root> <runId> <n>    prints "started", then switches the run's status n times
 * Prints one JSON line: {"ok": true, ...} or {"ok": false, "code": "..."}.
 */
import { MltError } from "../../src/errors.ts";
import { FileStore } from "../../src/store/file/file_store.ts";

const [mode, root, a, b] = Deno.args;
const store = new FileStore(root, { warn: () => {} });
try {
  if (mode === "metrics") {
    for (let i = 0; i < Number(b); i++) {
      await store.logMetric(a, { key: "m", value: i, timestamp: 1000 + i, step: i });
    }
    console.log(JSON.stringify({ ok: true }));
  } else if (mode === "create") {
    console.log(JSON.stringify({ ok: true, id: await store.createExperiment(a) }));
  } else if (mode === "status") {
    console.log("started");
    for (let i = 0; i < Number(b); i++) {
      const finished = i % 2 === 1;
      await store.updateRun({
        runId: a,
        status: finished ? "FINISHED" : "RUNNING",
        endTime: finished ? 2000 + i : undefined,
      });
    }
    console.log(JSON.stringify({ ok: true }));
  } else if (mode === "param") {
    await store.logParam(a, { key: "p", value: b });
    console.log(JSON.stringify({ ok: true, value: b }));
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
} catch (e) {
  if (!(e instanceof MltError)) throw e;
  console.log(JSON.stringify({ ok: false, code: e.code, message: e.message }));
}
