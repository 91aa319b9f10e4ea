/**
 * Heap held by the file store's in-memory indexes (FileCache, the run-order index, the run
 * locations) over one experiment of --runs runs (5 params, 5 metrics, 2 tags each), after three
 * searches that fill them: a metric filter and order, a params-only filter and order (served by
 * the run-order index), and an unfiltered page of 1,000. Prints the heap they hold (after full
 * GCs), the cold and warm search times, and a digest of each search's run ids, so that a change
 * to the indexes can be checked for memory, speed and identical results in one line.
 *
 *   deno run -A --v8-flags=--expose-gc bench/file_index_heap.ts [--runs 10000] [--dir /tmp/x]
 *
 * --dir keeps the generated tree there and reuses it on the next call (generation takes a while).
 */
import { parseArgs } from "node:util";
import { openStore } from "../src/store/open.ts";
import { metricLine } from "../src/store/file/format.ts";
import { T0, writeRunSkeleton } from "./mlruns_gen.ts";

const { values: opt } = parseArgs({
  args: Deno.args,
  options: { runs: { type: "string", default: "10000" }, dir: { type: "string" } },
});
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error("error: run with --v8-flags=--expose-gc (the heap is measured after full GCs)");
  Deno.exit(2);
}
const RUNS = Number(opt.runs);
const root = opt.dir ?? await Deno.makeTempDir({ prefix: "mlt-file-index-" });
const heapMb = () => (gc(), gc(), Deno.memoryUsage().heapUsed / 1048576);

async function buildTree(): Promise<string> {
  const marker = `${root}/.bench-experiment`;
  const known = await Deno.readTextFile(marker).catch(() => undefined);
  if (known) return known;
  const store = openStore(root);
  const expId = await store.createExperiment("file-index-heap");
  await store.close();
  for (let r = 0; r < RUNS; r++) {
    const { dir } = await writeRunSkeleton(`${root}/${expId}`, expId, r);
    for (let p = 0; p < 5; p++) {
      await Deno.writeTextFile(`${dir}/params/p${p}`, String((r * 7 + p) % 100));
    }
    for (let m = 0; m < 5; m++) {
      const value = ((r * 13 + m) % 1000) / 1000;
      await Deno.writeTextFile(
        `${dir}/metrics/m${m}`,
        metricLine({ key: `m${m}`, value, timestamp: T0 + r, step: 0 }),
      );
    }
  }
  await Deno.writeTextFile(marker, expId);
  return expId;
}

const expId = await buildTree();
// Files written in the last 1.5 s are re-read on every use (file_cache.ts): wait them out.
await new Promise((r) => setTimeout(r, 1600));
const searches = [
  { filter: "metrics.m0 > 0.5 and params.p1 = '8'", orderBy: ["metrics.m1 DESC"], maxResults: 100 },
  { filter: "params.p0 = '3'", orderBy: ["params.p2 ASC"], maxResults: 100 },
  { filter: "", orderBy: [], maxResults: 1000 },
];
const h0 = heapMb();
const store = openStore(root);
const cold: number[] = [], digests: string[] = [];
for (const s of searches) {
  const t = performance.now();
  const page = await store.searchRuns({ experimentIds: [expId], ...s });
  cold.push(Math.round(performance.now() - t));
  const ids = new TextEncoder().encode(page.items.map((r) => r.info.runId).join(","));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", ids));
  digests.push([...digest.slice(0, 6)].map((b) => b.toString(16).padStart(2, "0")).join(""));
}
const held = heapMb() - h0;
const warm = [];
for (const s of searches.slice(0, 2)) {
  const t = performance.now();
  for (let i = 0; i < 3; i++) await store.searchRuns({ experimentIds: [expId], ...s });
  warm.push(Math.round((performance.now() - t) / 3));
}
await store.close();
console.log(JSON.stringify({
  runs: RUNS,
  index_heap_mb: +held.toFixed(1),
  cold_ms: cold,
  warm_ms: warm,
  results: digests,
}));
if (!opt.dir) await Deno.remove(root, { recursive: true });
