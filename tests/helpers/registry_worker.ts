/**
 * A child process for the registries' cross-process tests; `<uri>` is a file store root, a
 * `sqlite:` or a `postgresql:` URI:
 *   versions <uri> <model> <n>   creates n versions of the model
 * Prints one JSON line: {"ok": true, "value": "[numbers…]"} or {"ok": false, "code": "..."}.
 */
import { MltError } from "../../src/errors.ts";
import { FileRegistryStore } from "../../src/store/file/registry_store.ts";
import type { ModelRegistryStore } from "../../src/store/registry.ts";
import { SqliteRegistryStore } from "../../src/store/sqlite/registry_store.ts";
import { PgRegistryStore } from "../../src/store/postgres/pg_registry.ts";

const [mode, uri, name, n] = Deno.args;
const store: ModelRegistryStore = uri.startsWith("sqlite:")
  ? new SqliteRegistryStore(uri, { warn: () => {} })
  : uri.startsWith("postgresql:")
  ? new PgRegistryStore(uri, { warn: () => {} })
  : new FileRegistryStore(uri, { warn: () => {} });
try {
  if (mode !== "versions") throw new Error(`unknown mode ${mode}`);
  const made: number[] = [];
  for (let i = 0; i < Number(n); i++) {
    made.push((await store.createModelVersion({ name, source: `s3://b/${i}` })).version);
  }
  console.log(JSON.stringify({ ok: true, value: JSON.stringify(made) }));
} catch (e) {
  if (!(e instanceof MltError)) throw e;
  console.log(JSON.stringify({ ok: false, code: e.code, message: e.message }));
} finally {
  await store.close();
}
