/**
 * The logged-model contract (tests/logged_model_contract.ts) against every store: the file
 * store, SQLite in memory and on a file, and the REST store through a real `mlt` server.
 */
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
