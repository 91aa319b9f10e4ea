/**
 * A child process for the SQLite store's cross-process tests:
 *   metrics <uri> <runId> <n> <tag>  logs n points of metric "m", one transaction each
 *   create <uri> <name>              creates an experiment
 *   param <uri> <runId> <value>      logs param "p"
 * Prints one JSON line: {"ok": true, ...} or {"ok": false, "code": "..."}.
 */
import { MltError } from "../../src/errors.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite_store.ts";

const [mode, uri, a, b, c] = Deno.args;
const store = new SqliteStore(uri, { warn: () => {} });
try {
  if (mode === "metrics") {
    for (let i = 0; i < Number(b); i++) {
      await store.logMetric(a, {
        key: "m",
        value: i,
        timestamp: 1000 + i,
        step: Number(c) * 1e6 + i,
      });
    }
    console.log(JSON.stringify({ ok: true }));
  } else if (mode === "create") {
    console.log(JSON.stringify({ ok: true, id: await store.createExperiment(a) }));
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
