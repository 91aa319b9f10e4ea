/**
 * Runs of each experiment folder kept in the order of keys that never change once a run exists
 * (start_time, run_id, and params once written: no MLflow or mlt call rewrites them), so a search
 * filtered and ordered only by them reads just the runs up to the end of its page. Each visited run's meta.yaml is
 * still stat-checked through the cache, so status, name and lifecycle changes by another process
 * are seen at once; runs created or removed are seen through the folder's listing (also
 * stat-checked). An out-of-band edit of a start_time (by hand, say) is picked up when the run is
 * visited, when the folder's runs change, or by a full check at most FULL_CHECK_MS later.
 */
import type { Run, RunInfo } from "../../model.ts";
import type { Comparison } from "../../search/filter.ts";
import type { OrderClause } from "../../search/order_by.ts";
import { compareRuns } from "../../search/match.ts";
import type { ExperimentLoc, FileReader, RunLoc } from "./file_reader.ts";

const IMMUTABLE_ATTRIBUTES: ReadonlySet<string> = new Set(["start_time", "run_id"]);

/** At most this long between two checks of every run's meta.yaml in a folder. */
export const FULL_CHECK_MS = 5000;

/** True when a filter comparison or order clause reads only keys that never change. */
export function isImmutable(c: Comparison | OrderClause): boolean {
  return c.entity === "param" || (c.entity === "attribute" && IMMUTABLE_ATTRIBUTES.has(c.key));
}

/** True when a search reads only keys this index can order and filter on without I/O. */
export function isImmutableQuery(filter: Comparison[], order: OrderClause[]): boolean {
  return filter.every(isImmutable) && order.every(isImmutable);
}

interface Entry {
  loc: RunLoc;
  /** A run holding run_id, start_time and the params searches asked for, for compareRuns. */
  key: Run;
  /** Params whose value in `key` is final (written and settled); others are re-read each time. */
  settled?: string[];
}

interface ExpRuns {
  listing?: unknown;
  /** When every entry was last checked against its meta.yaml. */
  checked: number;
  entries: Map<string, Entry>;
  /** Runs whose meta.yaml could not be read yet (being created, or broken): retried each time. */
  pending: Map<string, RunLoc>;
  /** Sorted entries per order (JSON of the clauses). */
  sorted: Map<string, Entry[]>;
}

// Parts of every key run that searches through this index never read (they see only run_id,
// start_time and params), shared rather than allocated per run: a 10,000-run experiment's index
// is a few objects per run (docs/benchmarks.md, "File-store indexes").
const NONE: readonly never[] = Object.freeze([]);
const NO_INPUTS = Object.freeze({ datasetInputs: NONE });

// Only the never-changing attributes: compareRuns and matchRun read nothing else here.
function keyRun(info: RunInfo): Run {
  return {
    info: { runId: info.runId, startTime: info.startTime } as RunInfo,
    data: { metrics: NONE as never, params: NONE as never, tags: NONE as never },
    inputs: NO_INPUTS as never,
  };
}

/** One run found by a scan, with the info read while visiting it. */
export interface Visited {
  loc: RunLoc;
  info: RunInfo;
}

/** The per-experiment orders of one store. */
export class RunOrderIndex {
  #reader: FileReader;
  #exps = new Map<string, ExpRuns>();

  constructor(reader: FileReader) {
    this.#reader = reader;
  }

  // Brings an experiment's entries in line with its folder listing and pending runs.
  #sync(exp: ExperimentLoc): ExpRuns {
    let st = this.#exps.get(exp.dir);
    if (!st) {
      st = { checked: Date.now(), entries: new Map(), pending: new Map(), sorted: new Map() };
      this.#exps.set(exp.dir, st);
    }
    let full = Date.now() - st.checked > FULL_CHECK_MS;
    const listing = this.#reader.cache.dir(exp.dir);
    if (listing !== st.listing) {
      st.listing = listing;
      const locs = this.#reader.runLocs(exp);
      const present = new Set(locs.map((l) => l.runId));
      for (const id of [...st.entries.keys()]) {
        if (!present.has(id)) st.entries.delete(id), st.sorted.clear(), full = true;
      }
      for (const id of [...st.pending.keys()]) if (!present.has(id)) st.pending.delete(id);
      for (const loc of locs) {
        if (!st.entries.has(loc.runId) && !st.pending.has(loc.runId)) {
          st.pending.set(loc.runId, loc);
          full = true;
        }
      }
    }
    if (full) {
      // The runs changed (or it has been a while): re-check every start_time, not only visited ones.
      st.checked = Date.now();
      for (const [id, e] of st.entries) {
        const info = this.#reader.tryRunInfo(e.loc);
        if (!info) {
          st.entries.delete(id);
          st.pending.set(id, e.loc);
          st.sorted.clear();
        } else if (info.startTime !== e.key.info.startTime) {
          e.key = { ...e.key, info: keyRun(info).info };
          st.sorted.clear();
        }
      }
    }
    for (const [id, loc] of st.pending) {
      const info = this.#reader.tryRunInfo(loc);
      if (!info) continue;
      st.pending.delete(id);
      st.entries.set(id, { loc, key: keyRun(info) });
      st.sorted.clear();
    }
    return st;
  }

  // Loads the params a search names into every entry's key (settled ones are never read again).
  #params(st: ExpRuns, keys: string[]): void {
    if (!keys.length) return;
    for (const e of st.entries.values()) {
      for (const k of keys) {
        if (e.settled?.includes(k)) continue;
        const { value, final } = this.#reader.paramState(e.loc, k);
        const params = e.key.data.params;
        const i = params.findIndex((p) => p.key === k);
        if ((i < 0 ? undefined : params[i].value) !== value) {
          e.key.data.params = params.filter((p) => p.key !== k);
          if (value !== undefined) e.key.data.params.push({ key: k, value });
          st.sorted.clear();
        }
        if (final) (e.settled ??= []).push(k);
      }
    }
  }

  #sortedFor(st: ExpRuns, order: OrderClause[]): Entry[] {
    const id = JSON.stringify(order);
    let list = st.sorted.get(id);
    if (!list) {
      const cmp = compareRuns(order);
      list = [...st.entries.values()].sort((a, b) => cmp(a.key, b.key));
      st.sorted.set(id, list);
    }
    return list;
  }

  /**
   * Where the runs are whose never-changing keys (run_id, start_time and the `params` named) pass
   * `match`, plus runs not readable yet: what a search with other conditions still has to read.
   */
  candidates(exps: ExperimentLoc[], params: string[], match: (key: Run) => boolean): RunLoc[] {
    const out: RunLoc[] = [];
    for (const exp of exps) {
      const st = this.#sync(exp);
      this.#params(st, params);
      for (const e of st.entries.values()) if (match(e.key)) out.push(e.loc);
      out.push(...st.pending.values());
    }
    return out;
  }

  /**
   * Visits the runs of the experiments in `order`, skipping those `match` refuses (it sees only
   * run_id, start_time and the `params` named), reading each other one's current info, and returns
   * those `accept` takes, stopping once `limit` are found. Undefined when the order changed under
   * the scan more than a few times (the caller then scans everything).
   */
  scan(
    exps: ExperimentLoc[],
    order: OrderClause[],
    params: string[],
    match: (key: Run) => boolean,
    accept: (info: RunInfo) => boolean,
    limit: number,
  ): Visited[] | undefined {
    for (let attempt = 0; attempt < 3; attempt++) {
      const lists = exps.map((e) => {
        const st = this.#sync(e);
        this.#params(st, params);
        return { st, list: this.#sortedFor(st, order) };
      });
      const out = this.#merge(lists, order, match, accept, limit);
      if (out) return out;
    }
    return undefined;
  }

  // A k-way merge of sorted lists; undefined when a visited run's start_time moved.
  #merge(
    lists: { st: ExpRuns; list: Entry[] }[],
    order: OrderClause[],
    match: (key: Run) => boolean,
    accept: (info: RunInfo) => boolean,
    limit: number,
  ): Visited[] | undefined {
    const cmp = compareRuns(order);
    const pos = lists.map(() => 0);
    const out: Visited[] = [];
    while (out.length < limit) {
      let best = -1;
      for (let i = 0; i < lists.length; i++) {
        if (pos[i] >= lists[i].list.length) continue;
        if (best < 0 || cmp(lists[i].list[pos[i]].key, lists[best].list[pos[best]].key) < 0) {
          best = i;
        }
      }
      if (best < 0) break;
      const { st, list } = lists[best];
      const e = list[pos[best]++];
      if (!match(e.key)) continue;
      const info = this.#reader.tryRunInfo(e.loc);
      if (!info) {
        // Broken now (or removed under us): retried as pending from the next search on.
        st.entries.delete(e.loc.runId);
        st.pending.set(e.loc.runId, e.loc);
        st.sorted.clear();
        continue;
      }
      if (info.startTime !== e.key.info.startTime) {
        e.key = { ...e.key, info: keyRun(info).info };
        st.sorted.clear();
        return undefined;
      }
      if (accept(info)) out.push({ loc: e.loc, info });
    }
    return out;
  }
}
