/**
 * The floor of a Deno server built as mlt is: floor_server.ts's empty server, but routed by Hono
 * (mlt's router, an npm package) and started with mlt's deno.json, so that Deno resolves npm
 * packages and loads a module graph from node_modules as it does for `mlt server`.
 * bench/startup_bench.ts starts it as subject `floor-hono`; with a database file (subject
 * `floor-sqlite`) it also opens it with node:sqlite in WAL mode and reads it once before it
 * listens, as any server on a SQLite store must: on MLflow's schema, which the first (uncounted)
 * start creates, so that SQLite reads that schema at every counted start as it does for mlt.
 *
 *   deno run -A --config deno.json bench/floor_hono_server.ts PORT [DB]
 */
import { Hono } from "hono";

if (Deno.args[1]) {
  const { DatabaseSync } = await import("node:sqlite");
  const db = new DatabaseSync(Deno.args[1]);
  db.exec("PRAGMA journal_mode = WAL");
  if (!db.prepare("SELECT count(*) AS n FROM sqlite_master").get()?.n) {
    db.exec((await import("../src/store/sqlite/mlflow_ddl.ts")).MLFLOW_DDL);
  }
  db.prepare("SELECT count(*) AS n FROM experiments").get();
}
const app = new Hono();
app.all("*", (c) => c.text("OK"));
Deno.serve({ hostname: "127.0.0.1", port: Number(Deno.args[0] ?? 0), onListen() {} }, app.fetch);
