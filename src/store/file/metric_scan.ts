/**
 * The latest point of a metric file without materialising every point: lines are checked and
 * compared straight from their bytes (pure; the file store's cache feeds it appended bytes).
 */
import type { Metric } from "../../model.ts";
import { isLater, type OnBadLine, tryMetricLine } from "./format.ts";

// True when bytes[from, to) spell a decimal float as DECIMAL accepts it, without allocating.
function isDecimalBytes(b: Uint8Array, from: number, to: number): boolean {
  let i = from;
  if (i < to && (b[i] === 43 || b[i] === 45)) i++; // + -
  let d1 = 0, d2 = 0;
  while (i < to && b[i] >= 48 && b[i] <= 57) i++, d1++;
  if (i < to && b[i] === 46) { // .
    i++;
    while (i < to && b[i] >= 48 && b[i] <= 57) i++, d2++;
  }
  if (d1 === 0 && d2 === 0) return false;
  if (i < to && (b[i] === 101 || b[i] === 69)) { // e E
    i++;
    if (i < to && (b[i] === 43 || b[i] === 45)) i++;
    let d3 = 0;
    while (i < to && b[i] >= 48 && b[i] <= 57) i++, d3++;
    if (d3 === 0) return false;
  }
  return i === to;
}

// An unsigned integer of at most 15 digits in bytes[from, to), else -1.
function smallIntBytes(b: Uint8Array, from: number, to: number): number {
  if (from >= to || to - from > 15) return -1;
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = b[i] - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** True when bytes[from, to) hold a usual metric line: `<timestamp> <value> <step>`. */
export function isUsualLine(b: Uint8Array, from: number, to: number): boolean {
  const a = b.indexOf(0x20, from);
  if (a < 0 || a >= to) return false;
  const c = b.indexOf(0x20, a + 1);
  if (c < 0 || c >= to) return false;
  return smallIntBytes(b, from, a) >= 0 && smallIntBytes(b, c + 1, to) >= 0 &&
    isDecimalBytes(b, a + 1, c);
}

function asciiSlice(b: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...b.subarray(from, to));
}

/**
 * Folds the complete lines of metric bytes (up to the last newline) into the latest point so far,
 * and counts them. Usual lines (`<timestamp> <value> <step>`) are checked and compared straight
 * from the bytes; only a line that may win on a tie has its value parsed. Other lines go through
 * parseMetricLine, so malformed data fails (or, with `onBad`, is skipped) as in parseMetricText.
 */
export function foldLatest(
  key: string,
  bytes: Uint8Array,
  current: Metric | undefined,
  onBad?: OnBadLine,
): { latest: Metric | undefined; count: number } {
  let best = current, count = 0;
  // The best usual line not yet turned into a Metric: its fields and where its value lies.
  let pStep = -1, pTs = -1, pFrom = 0, pTo = 0, pending = false;
  const settle = (): Metric | undefined => {
    if (pending) {
      best = { key, value: Number(asciiSlice(bytes, pFrom, pTo)), timestamp: pTs, step: pStep };
      pending = false;
    }
    return best;
  };
  const dec = new TextDecoder();
  for (let i = 0; i < bytes.length;) {
    const nl = bytes.indexOf(0x0a, i);
    if (nl < 0) break;
    const a = bytes.indexOf(0x20, i);
    const b = a < 0 || a >= nl ? -1 : bytes.indexOf(0x20, a + 1);
    const ts = b < 0 || b >= nl ? -1 : smallIntBytes(bytes, i, a);
    const step = ts < 0 ? -1 : smallIntBytes(bytes, b + 1, nl);
    if (step >= 0 && isDecimalBytes(bytes, a + 1, b)) {
      count++;
      const bStep: number | undefined = pending ? pStep : best?.step;
      const bTs: number | undefined = pending ? pTs : best?.timestamp;
      if (
        bStep === undefined || bTs === undefined || step > bStep || (step === bStep && ts > bTs)
      ) {
        [pStep, pTs, pFrom, pTo, pending] = [step, ts, a + 1, b, true];
      } else if (step === bStep && ts === bTs) {
        const m = { key, value: Number(asciiSlice(bytes, a + 1, b)), timestamp: ts, step };
        if (isLater(m, settle()!)) best = m;
      }
    } else {
      const line = dec.decode(bytes.subarray(i, nl));
      const m = line.trim() === "" ? undefined : tryMetricLine(key, line, onBad);
      if (m) {
        count++;
        const now = settle();
        if (!now || isLater(m, now)) best = m;
      }
    }
    i = nl + 1;
  }
  return { latest: settle(), count };
}
