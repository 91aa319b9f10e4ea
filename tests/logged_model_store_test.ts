/**
 * The logged-model contract (tests/logged_model_contract.ts) against every store: the file
 * store, SQLite in memory and on a file, and the REST store through a real `mlt` server.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FileStore } from "../src/store/file/file_store.ts";
import { RestStore } from "../src/store/rest/rest_store.ts";
import { SqliteStore } from "../src/store/sqlite/sqlite_store.ts";
import { startRestServer } from "./helpers/rest_server.ts";
import { loggedModelContract } from "./logged_model_contract.ts";
import { fakeClock } from "./store_contract.ts";

loggedModelContract("file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-lm-contract-" });
  const store = new FileStore(join(dir, "mlruns"), { clock: fakeClock(), warn: () => {} });
  return { store, cleanup: () => Deno.remove(dir, { recursive: true }) };
});

loggedModelContract("sqlite (memory)", () => {
  const store = new SqliteStore("sqlite://", { clock: fakeClock(), warn: () => {} });
  return Promise.resolve({ store, cleanup: () => Promise.resolve() });
});

loggedModelContract("sqlite (file)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-lm-sqlite-" });
  const store = new SqliteStore(`sqlite:///${join(dir, "mlflow.db")}`, {
    clock: fakeClock(),
    warn: () => {},
    artifactRoot: join(dir, "artifacts"),
  });
  return { store, cleanup: () => Deno.remove(dir, { recursive: true }) };
});

loggedModelContract("rest", async () => {
  const srv = await startRestServer();
  const store = new RestStore(srv.url, { http: { maxRetries: 1, backoffMs: 5 } });
  return { store, cleanup: () => srv.close() };
}, {
  "deletedLoggedModelIds() lists deleted models; hardDeleteLoggedModel() purges":
    "MLflow's REST API has no endpoint for permanent deletion",
});

Deno.test("SqliteStore: a repeated search sees models another connection wrote", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-lm-sqlite-" });
  const uri = `sqlite:///${join(dir, "mlflow.db")}`;
  const a = new SqliteStore(uri, { warn: () => {} });
  const b = new SqliteStore(uri, { warn: () => {} });
  try {
    const exp = await a.createExperiment("shared");
    await a.createLoggedModel({ experimentId: exp, name: "one" });
    const search = async () =>
      (await a.searchLoggedModels({ experimentIds: [exp], orderBy: [{ fieldName: "name" }] }))
        .items.map((m) => m.name);
    assert.deepEqual(await search(), ["one"]);
    assert.deepEqual(await search(), ["one"]);
    await b.createLoggedModel({ experimentId: exp, name: "two" });
    assert.deepEqual(await search(), ["one", "two"]);
  } finally {
    await a.close();
    await b.close();
    await Deno.remove(dir, { recursive: true });
  }
});
