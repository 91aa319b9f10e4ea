/**
 * What the benchmarks read from /proc (Linux) about a server they started: its process tree, the
 * RSS of that tree (and its anonymous part), and the CPU time all its threads have spent.
 */

/** A process and all its descendants. */
export function tree(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      parent.set(Number(e.name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch { /* gone */ }
  }
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    for (const [p, pp] of parent) if (pp === pids[i]) pids.push(p);
  }
  return pids;
}

/** RSS (and its anonymous part) of a process and all its descendants, in MB. */
export function treeRssMb(pid: number): { rss: number; anon: number } {
  let rss = 0, anon = 0;
  for (const p of tree(pid)) {
    try {
      const status = Deno.readTextFileSync(`/proc/${p}/status`);
      rss += Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      anon += Number(/^RssAnon:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    } catch { /* gone */ }
  }
  return { rss: rss / 1024, anon: anon / 1024 };
}

/** CPU time spent so far by all threads of a process tree, in ms (/proc/PID/task/TID/schedstat). */
export function cpuMs(pid: number): number {
  let ns = 0;
  for (const p of tree(pid)) {
    try {
      for (const t of Deno.readDirSync(`/proc/${p}/task`)) {
        try {
          ns += Number(Deno.readTextFileSync(`/proc/${p}/task/${t.name}/schedstat`).split(" ")[0]);
        } catch { /* thread gone */ }
      }
    } catch { /* process gone */ }
  }
  return ns / 1e6;
}

/** Samples the tree's RSS every `everyMs` until the returned stop() is called; stop() gives the peak. */
export function peakSampler(
  pid: number,
  everyMs = 100,
): { stop(): Promise<{ rss: number; anon: number }> } {
  let peak = { rss: 0, anon: 0 }, sampling = true;
  const done = (async () => {
    while (sampling) {
      const m = treeRssMb(pid);
      if (m.rss > peak.rss) peak = m;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    stop: async () => {
      sampling = false;
      await done;
      return peak;
    },
  };
}
