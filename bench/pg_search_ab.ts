/**
 * B4 on PostgreSQL for several checkouts of mlt, interleaved on one seeded database: how a change
 * to the run search moves its time and CPU, with less noise than a whole bench/postgres_bench.ts
 * run. A throwaway cluster (tests/helpers/postgres.ts) is seeded with 10,000 runs through mlt's
 * REST API (bench/rest_common.ts's seed) and VACUUM ANALYZEd; with --b3 B3's writes are added
 * first (they change PostgreSQL's statistics, as in the full benchmark). Then, round by round,
 * each checkout's `mlt server` answers B4's search (`metrics.acc > 0.9 and params.lr = '0.01'` by
 * metrics.acc DESC, 100 results) --searches times after 10 warm-up calls; printed per round and as
 * medians: p50 wall time, the server's and PostgreSQL's CPU per search (from /proc).
 *
 *   deno run -A bench/pg_search_ab.ts [--rounds 3] [--searches 60] [--b3] [--filter F] DIR…
 *
 * DIR: a checkout of mlt with its node_modules (e.g. `git archive REF | tar -x -C DIR` and a link
 * to this checkout's node_modules); `.` for this one.
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { startCluster } from "../tests/helpers/postgres.ts";
import {
  postmasterPid,
  type ServerSetup,
  startServer,
  stop,
  treeCpuMs,
} from "./postgres_bench_servers.ts";
import { B4_FILTER, b4Body, quantile, runB3, seed, timedPost } from "./rest_common.ts";

const { values: opt, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    rounds: { type: "string", default: "3" },
    searches: { type: "string", default: "60" },
    b3: { type: "boolean", default: false },
    filter: { type: "string", default: B4_FILTER },
  },
});
const roots = (positionals.length ? positionals : ["."]).map((d) => resolve(d) + "/");
const SEARCHES = Number(opt.searches);
const log = (msg: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);

const cluster = startCluster();
const work = Deno.makeTempDirSync({ prefix: "mlt-pg-ab-" });
const setup = (repo: string): ServerSetup => ({ repo, python: "", fml: "", work });
try {
  const db = cluster.createDatabase("ab");
  const url = cluster.url(db);
  const seeder = await startServer("mlt", url, setup(roots[0]));
  const { searchExp } = await seed(seeder.url, 10_000, 0, log).finally(() => stop(seeder));
  if (opt.b3) {
    const writer = await startServer("mlt", url, setup(roots[0]));
    await runB3(writer.url, { vus: 20, iterations: 20, budgetMs: 120_000 })
      .finally(() => stop(writer));
    log("B3's writes added");
  }
  cluster.psql("VACUUM ANALYZE", db);
  const body = b4Body(searchExp, opt.filter);
  const results = new Map(
    roots.map((r) => [r, { p50: [] as number[], cpu: [] as number[], pg: [] as number[] }]),
  );
  for (let round = 0; round < Number(opt.rounds); round++) {
    for (const root of roots) {
      const s = await startServer("mlt", url, setup(root));
      try {
        for (let i = 0; i < 10; i++) await timedPost(s.url, "runs/search", body);
        const cpu0 = treeCpuMs([s.child.pid]), pg0 = treeCpuMs([postmasterPid(cluster.dir)]);
        const ms: number[] = [];
        for (let i = 0; i < SEARCHES; i++) {
          ms.push((await timedPost(s.url, "runs/search", body)).ms);
        }
        const r = results.get(root)!;
        r.p50.push(quantile(ms, 0.5));
        r.cpu.push((treeCpuMs([s.child.pid]) - cpu0) / SEARCHES);
        r.pg.push((treeCpuMs([postmasterPid(cluster.dir)]) - pg0) / SEARCHES);
        log(
          `${root} round ${round}: p50 ${r.p50.at(-1)!.toFixed(1)} ms; CPU per search ` +
            `${r.cpu.at(-1)!.toFixed(1)} ms server + ${r.pg.at(-1)!.toFixed(1)} ms PostgreSQL`,
        );
      } finally {
        await stop(s);
      }
    }
  }
  const med = (xs: number[]) => quantile(xs, 0.5).toFixed(1);
  for (const [root, r] of results) {
    console.log(
      `median ${root}: p50 ${med(r.p50)} ms; CPU per search ${med(r.cpu)} ms server + ` +
        `${med(r.pg)} ms PostgreSQL`,
    );
  }
} finally {
  cluster.destroy();
  Deno.removeSync(work, { recursive: true });
}
