/**
 * Low-level file-system primitives of the file store: stat signatures, atomic replace, write-once,
 * whole-line appends, symlink-free directory walks and the cross-process lock.
 * Sync calls on purpose: tiny files, and Deno's async ops cost more than the I/O itself.
 */
import { dirname, join } from "node:path";
import { TEMP_PREFIX } from "./layout.ts";

/** What identifies one version of a file or directory. */
export interface Sig {
  mtime: number;
  size: number;
  ino: number;
  nlink: number;
  isFile: boolean;
  isDir: boolean;
  isSymlink: boolean;
}

/** lstat as a signature, or undefined when the path does not exist. */
export function sig(path: string): Sig | undefined {
  try {
    const st = Deno.lstatSync(path);
    return {
      mtime: st.mtime?.getTime() ?? 0,
      size: st.size,
      ino: st.ino ?? 0,
      nlink: st.nlink ?? 0,
      isFile: st.isFile,
      isDir: st.isDirectory,
      isSymlink: st.isSymlink,
    };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw e;
  }
}

/** The fields of a signature that tell one version of a file from another. */
export type Stamp = Pick<Sig, "mtime" | "size" | "ino" | "nlink">;

/** True when two signatures describe the same version. */
export function sameSig(a: Stamp, b: Stamp): boolean {
  return a.mtime === b.mtime && a.size === b.size && a.ino === b.ino && a.nlink === b.nlink;
}

/** Reads a regular file as UTF-8 text; undefined when absent. */
export function readText(path: string): string | undefined {
  try {
    notSpecial(path);
    return Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw e;
  }
}

// A FIFO or a device in the tree would block the reader (and the server) forever.
function notSpecial(path: string): void {
  const st = Deno.statSync(path);
  if (!st.isFile && !st.isDirectory) throw new Error(`"${path}" is not a regular file`);
}

/** A whole file's bytes, or undefined when it does not exist. */
export function readBytes(path: string): Uint8Array | undefined {
  try {
    notSpecial(path);
    return Deno.readFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw e;
  }
}

/** Reads bytes [from, end) of a file. */
export function readBytesFrom(path: string, from: number): Uint8Array {
  const f = Deno.openSync(path, { read: true });
  try {
    f.seekSync(from, Deno.SeekMode.Start);
    const chunks: Uint8Array[] = [];
    let total = 0;
    const buf = new Uint8Array(64 * 1024);
    for (;;) {
      const n = f.readSync(buf);
      if (n === null || n === 0) break;
      chunks.push(buf.slice(0, n));
      total += n;
    }
    const out = new Uint8Array(total);
    let off = 0;
    for (const c of chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  } finally {
    f.close();
  }
}

function tempPath(dir: string): string {
  return join(dir, `${TEMP_PREFIX}${crypto.randomUUID().slice(0, 8)}`);
}

/**
 * Replaces `path` with `text` through a temp file in `tempDir` (same file system) and a rename:
 * readers see the old or the new content, never a truncated file, even if the process is killed.
 * `durable` also survives a power loss: the temp file's data reaches the disk before the rename,
 * and the directory's entry after it (security.md test 51). It costs two fsyncs (~0.35 ms on our
 * VM, more on slow disks), so it is kept for meta.yaml, without which a run or an experiment
 * cannot be read; tag and param files, like MLflow's, rely on the rename alone.
 */
export function writeAtomic(
  path: string,
  text: string,
  tempDir = dirname(path),
  durable = false,
): void {
  Deno.mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPath(tempDir);
  try {
    if (durable) {
      using f = Deno.openSync(tmp, { write: true, createNew: true });
      const bytes = new TextEncoder().encode(text);
      for (let off = 0; off < bytes.length;) off += f.writeSync(bytes.subarray(off));
      f.syncDataSync();
    } else {
      Deno.writeTextFileSync(tmp, text);
    }
    Deno.renameSync(tmp, path);
  } catch (e) {
    tryRemove(tmp);
    throw e;
  }
  if (durable) syncDir(dirname(path));
}

// Makes a directory's entries (a rename into it) durable; where directories cannot be opened
// for it (not Linux or macOS), the rename stays atomic but not flushed.
function syncDir(dir: string): void {
  try {
    using d = Deno.openSync(dir);
    d.syncSync();
  } catch {
    // best effort
  }
}

/**
 * Creates `path` holding `text` only if it does not exist yet (temp file + hard link, atomic across
 * processes). Returns false when it already existed.
 */
export function writeOnce(path: string, text: string, tempDir = dirname(path)): boolean {
  Deno.mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPath(tempDir);
  Deno.writeTextFileSync(tmp, text);
  try {
    Deno.linkSync(tmp, path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return false;
    throw e;
  } finally {
    tryRemove(tmp);
  }
}

/** Appends whole lines in one write to a file opened for append. */
export function appendText(path: string, text: string): void {
  Deno.mkdirSync(dirname(path), { recursive: true });
  const f = Deno.openSync(path, { append: true, create: true });
  try {
    const bytes = new TextEncoder().encode(text);
    let off = 0;
    while (off < bytes.length) off += f.writeSync(bytes.subarray(off));
  } finally {
    f.close();
  }
}

/** Removes a file, ignoring its absence. */
export function tryRemove(path: string): void {
  try {
    Deno.removeSync(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/** Entries of a directory (none when it is absent). */
export function listDir(path: string): Deno.DirEntry[] {
  try {
    // Copied into plain objects: Deno's own entries are dictionary-mode objects (~270 bytes
    // each against ~60), and the file store's caches keep a listing of every run folder.
    const out: Deno.DirEntry[] = [];
    for (const e of Deno.readDirSync(path)) {
      out.push({
        name: e.name,
        isFile: e.isFile,
        isDirectory: e.isDirectory,
        isSymlink: e.isSymlink,
      });
    }
    return out;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return [];
    throw e;
  }
}

/**
 * `s` as a string of its own. V8 keeps a substring as a slice of its source, so a value cut from
 * a file's text (a run id from meta.yaml) would keep the whole text alive in the caches.
 */
export function detached(s: string): string {
  return s.length < 13 ? s : JSON.parse(JSON.stringify(s)); // shorter substrings are copies already
}

/** Relative POSIX paths of the regular files under `dir`, never following symlinks. */
export function walkFiles(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of listDir(dir)) {
    if (e.isSymlink) continue;
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...walkFiles(join(dir, e.name), rel));
    else if (e.isFile) out.push(rel);
  }
  return out;
}

/**
 * Runs `fn` holding an exclusive flock on `lockPath`. The kernel drops the lock when the process
 * dies, so a crash never leaves a stale lock behind.
 */
export async function withLock<T>(lockPath: string, fn: () => T | Promise<T>): Promise<T> {
  const f = await Deno.open(lockPath, { read: true, write: true, create: true });
  try {
    await f.lock(true);
    return await fn();
  } finally {
    f.close();
  }
}

/** True when `path` is a directory itself (not a symlink to one). */
export function isDir(path: string): boolean {
  return sig(path)?.isDir ?? false;
}

/** True when `path` is a regular file itself (not a symlink to one). */
export function isFile(path: string): boolean {
  return sig(path)?.isFile ?? false;
}

/** Runs synchronous store code as a promise, so its errors reject instead of throwing. */
export function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e);
  }
}
