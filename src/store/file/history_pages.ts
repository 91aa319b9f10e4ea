/**
 * Paged reads of metric files. A file only grows (whole lines are appended), so the byte where
 * point N starts stays where an earlier page found it as long as the file keeps its inode and
 * does not shrink: each page starts there and reads about its own bytes, instead of parsing
 * everything before it.
 */
import type { Metric } from "../../model.ts";
import { type OnBadLine, parseMetricText, tryMetricLine } from "./format.ts";
import { isUsualLine } from "./metric_scan.ts";
import { sig } from "./file_io.ts";

interface Marks {
  ino: number;
  size: number;
  /** Point index → byte offset of the line holding that point (or of blank lines before it). */
  at: Map<number, number>;
}

const MAX_FILES = 256;
const NL = 0x0a;

/** Byte marks of recently paged metric files. */
export class HistoryPages {
  #files = new Map<string, Marks>();

  /**
   * Points [offset, offset + max) of the metric file at `path`, and whether more follow.
   * Malformed lines hold no point: they are skipped and reported to `onBad`.
   */
  page(
    path: string,
    key: string,
    offset: number,
    max: number,
    onBad: OnBadLine,
  ): { items: Metric[]; more: boolean } {
    const s = sig(path);
    if (!s || !s.isFile) {
      this.#files.delete(path);
      return { items: [], more: false };
    }
    let marks = this.#files.get(path);
    if (!marks || marks.ino !== s.ino || s.size < marks.size) {
      marks = { ino: s.ino, size: s.size, at: new Map([[0, 0]]) };
    }
    marks.size = s.size;
    // Most recently used last, so the least recently used file is the first to go.
    this.#files.delete(path);
    this.#files.set(path, marks);
    if (this.#files.size > MAX_FILES) this.#files.delete(this.#files.keys().next().value!);

    let from = 0, base = 0;
    for (const [i, b] of marks.at) if (i <= offset && i >= from) [from, base] = [i, b];
    const f = Deno.openSync(path, { read: true });
    try {
      f.seekSync(base, Deno.SeekMode.Start);
      const guess = (offset - from + max + 1) * lineBytes(marks) + 4096;
      let buf = new Uint8Array(Math.min(guess, Math.max(0, s.size - base) + 4096));
      let len = 0, eof = false;
      // Find the byte range of the page's lines, reading more when the guess was short.
      let index = from, pos = 0, start = -1, end = 0;
      for (;;) {
        // Bytes past `len` are zeros (fresh buffers), never a newline.
        const nl = buf.indexOf(NL, pos);
        if (nl < 0 || nl >= len) {
          if (eof) break;
          if (len === buf.length) {
            const bigger = new Uint8Array(buf.length * 2);
            bigger.set(buf);
            buf = bigger;
          }
          const n = f.readSync(buf.subarray(len));
          if (n === null || n === 0) eof = true;
          else len += n;
          continue;
        }
        if (isPoint(key, buf, pos, nl, onBad)) {
          if (index === offset + max) {
            marks.at.set(index, base + pos);
            return { items: parse(key, buf, start, end, onBad), more: true };
          }
          if (index === offset) start = pos;
          index++;
        }
        pos = nl + 1;
        if (start >= 0) end = pos;
      }
      return { items: start < 0 ? [] : parse(key, buf, start, end, onBad), more: false };
    } finally {
      f.close();
    }
  }
}

// Average bytes per line from the marks seen so far (64 before there are any).
function lineBytes(m: Marks): number {
  let i = 0, b = 0;
  for (const [k, v] of m.at) if (k > i) [i, b] = [k, v];
  return i > 0 ? Math.ceil(b / i) + 1 : 64;
}

function parse(
  key: string,
  buf: Uint8Array,
  start: number,
  end: number,
  onBad: OnBadLine,
): Metric[] {
  return start < 0 || end <= start
    ? []
    : parseMetricText(key, new TextDecoder().decode(buf.subarray(start, end)), onBad);
}

// Lines of only whitespace and malformed lines hold no point (parseMetricText skips them too).
function isPoint(key: string, buf: Uint8Array, from: number, to: number, onBad: OnBadLine) {
  if (isUsualLine(buf, from, to)) return true;
  let blank = true;
  for (let i = from; i < to && blank; i++) {
    const b = buf[i];
    blank = b === 0x20 || (b >= 0x09 && b <= 0x0d);
  }
  if (blank) return false;
  return tryMetricLine(key, new TextDecoder().decode(buf.subarray(from, to)), onBad) !== undefined;
}
