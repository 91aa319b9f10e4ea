/**
 * A child process for the stores' cross-process tests; `<uri>` is a file store root or a
 * `sqlite:` URI:
 *   metrics <uri> <runId> <n> [tag]  logs n points of metric "m" (steps tag·1e6 + i, or i)
 *   create <uri> <name>              creates an experiment
 *   param <uri> <runId> <value>      logs param "p"
 *   status <root> <runId> <n>        prints "started", then switches the run's status n times
 * Prints one JSON line: {"ok": true, ...} or {"ok": false, "code": "..."}.
 */
import { MltError } from "../../src/errors.ts";
import { FileStore } from "../../src/store/file/file_store.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite_store.ts";
import type { TrackingStore } from "../../src/store/store.ts";

const [mode, uri, a, b, c] = Deno.args;
const store: TrackingStore = uri.startsWith("sqlite:")
  ? new SqliteStore(uri, { warn: () => {} })
  : new FileStore(uri, { warn: () => {} });
try {
  if (mode === "metrics") {
    const first = c === undefined ? 0 : Number(c) * 1e6;
    for (let i = 0; i < Number(b); i++) {
      await store.logMetric(a, { key: "m", value: i, timestamp: 1000 + i, step: first + i });
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
} finally {
  await store.close();
}
