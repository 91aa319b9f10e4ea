/**
 * The file store's in-memory index: parsed files, directory listings and latest metric values,
 * each validated by an lstat signature (mtime, size, inode, links) on every use, so a write by
 * another process is seen by the next read. Metric files are read incrementally: only appended
 * bytes are parsed.
 */
import { join } from "node:path";
import type { Metric } from "../../model.ts";
import type { OnBadLine } from "./format.ts";
import { foldLatest } from "./metric_scan.ts";
import { listDir, readBytes, readBytesFrom, sameSig, type Sig, sig } from "./file_io.ts";

// A signature whose mtime is this close to the time it was read may hide a later change made in
// the same timestamp tick (coarse kernel clocks), so such entries are re-read next time.
const RACY_MS = 1500;
const STRICT = new TextDecoder("utf-8", { fatal: true });

// A cached version of a file or listing, its signature's fields inline: one object per cached
// file rather than two (a 10,000-run store caches ~50,000 files; docs/benchmarks.md).
class Entry<T> {
  readonly mtime: number;
  readonly size: number;
  readonly ino: number;
  readonly nlink: number;
  value?: T;
  error?: unknown;

  constructor(s: Sig, readonly trusted: boolean, value?: T) {
    this.mtime = s.mtime;
    this.size = s.size;
    this.ino = s.ino;
    this.nlink = s.nlink;
    this.value = value;
  }
}

interface MetricState {
  sig: Sig;
  consumed: number;
  count: number;
  latest?: Metric;
}

/** Caches of one store root; every getter stats before trusting what it holds. */
export class FileCache {
  #files = new Map<string, Entry<unknown>>();
  #dirs = new Map<string, Entry<Deno.DirEntry[]>>();
  #metrics = new Map<string, MetricState>();
  // Walks of flat directories, valid while the directory's cached listing is the same array.
  #walks = new Map<string, { listing: Deno.DirEntry[]; files: readonly string[] }>();
  #now: () => number;

  /**
   * Told about odd files: `lossy` ones are not valid UTF-8 (their text then holds U+FFFD),
   * `special` ones (FIFOs, devices, sockets) are skipped without being read.
   */
  onOdd: (path: string, kind: "lossy" | "special") => void = () => {};

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  #readText(path: string): string | undefined {
    const bytes = readBytes(path);
    if (bytes === undefined) return undefined;
    try {
      return STRICT.decode(bytes);
    } catch {
      this.onOdd(path, "lossy");
      return new TextDecoder().decode(bytes);
    }
  }

  #trusted(s: Sig): boolean {
    return this.#now() - s.mtime > RACY_MS;
  }

  /**
   * A regular file parsed by `parse`; undefined when absent or not a regular file (symlinks are
   * never followed). A parse error is cached with the version that caused it and rethrown.
   */
  file<T>(path: string, parse: (text: string) => T): T | undefined {
    const s = sig(path);
    if (!s || !s.isFile) {
      this.#files.delete(path);
      return undefined;
    }
    const hit = this.#files.get(path);
    if (hit && hit.trusted && sameSig(hit, s)) {
      if (hit.error !== undefined) throw hit.error;
      return hit.value as T;
    }
    const text = this.#readText(path);
    if (text === undefined) {
      this.#files.delete(path);
      return undefined;
    }
    const entry = new Entry<unknown>(s, this.#trusted(s));
    try {
      entry.value = parse(text);
    } catch (e) {
      entry.error = e;
    }
    this.#files.set(path, entry);
    if (entry.error !== undefined) throw entry.error;
    return entry.value as T;
  }

  /**
   * Like file(), for files that never change once complete (params): a trusted entry is answered
   * without a stat. Untrusted (recent) entries are re-checked, so a half-written file is re-read.
   */
  immutable<T>(path: string, parse: (text: string) => T): T | undefined {
    const hit = this.#files.get(path);
    if (hit && hit.trusted && hit.error === undefined) return hit.value as T;
    return this.file(path, parse);
  }

  /** True when `path` is cached as a complete, settled file (read long after it was written). */
  isTrusted(path: string): boolean {
    const hit = this.#files.get(path);
    return hit !== undefined && hit.trusted && hit.error === undefined;
  }

  /** A directory's entries (empty when absent or a symlink). */
  dir(path: string): Deno.DirEntry[] {
    const s = sig(path);
    if (!s || !s.isDir) {
      this.#dirs.delete(path);
      return [];
    }
    const hit = this.#dirs.get(path);
    if (hit && hit.trusted && sameSig(hit, s)) return hit.value!;
    const value = listDir(path);
    this.#dirs.set(path, new Entry(s, this.#trusted(s), value));
    return value;
  }

  /**
   * Relative POSIX paths of the regular files under `dir` (symlinks skipped), from cache. The
   * result is shared: callers must not change it.
   */
  walk(dir: string, prefix = ""): readonly string[] {
    const listing = this.dir(dir);
    const memo = prefix ? undefined : this.#walks.get(dir);
    if (memo && memo.listing === listing) return memo.files;
    const out: string[] = [];
    let flat = true;
    for (const e of listing) {
      if (e.isSymlink) continue;
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory) {
        flat = false;
        out.push(...this.walk(join(dir, e.name), rel));
      } else if (e.isFile) out.push(rel);
      else if (!e.isSymlink) this.onOdd(join(dir, e.name), "special");
    }
    // Nested keys are listed through sub-directories the memo does not track: walk them anew.
    if (!prefix) {
      if (flat) this.#walks.set(dir, { listing, files: out });
      else this.#walks.delete(dir);
    }
    return out;
  }

  /**
   * The latest point of a metric file, reading only bytes appended since the last call;
   * malformed lines are skipped and reported to `onBad` once, when they are first read.
   */
  latestMetric(path: string, key: string, onBad: OnBadLine): Metric | undefined {
    const s = sig(path);
    if (!s || !s.isFile) {
      this.#metrics.delete(path);
      return undefined;
    }
    let st = this.#metrics.get(path);
    if (st && sameSig(st.sig, s)) return st.latest;
    // A different inode or a shrunk file is a rewrite: start over.
    if (!st || st.sig.ino !== s.ino || s.size < st.consumed) {
      st = { sig: s, consumed: 0, count: 0 };
    }
    const bytes = readBytesFrom(path, st.consumed);
    const end = bytes.lastIndexOf(0x0a);
    if (end >= 0) {
      const { latest, count } = foldLatest(
        key,
        bytes.subarray(0, end + 1),
        st.latest,
        onBad,
      );
      st.latest = latest;
      st.count += count;
      st.consumed += end + 1;
    }
    st.sig = s;
    this.#metrics.set(path, st);
    return st.latest;
  }

  /** Drops everything cached under `prefix` (after a hard delete or a move). */
  forget(prefix: string): void {
    const maps = [this.#files, this.#dirs, this.#metrics, this.#walks] as Map<string, unknown>[];
    for (const m of maps) {
      for (const k of m.keys()) if (k === prefix || k.startsWith(prefix + "/")) m.delete(k);
    }
  }
}
