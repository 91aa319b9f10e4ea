/** "Did you mean …?": the closest of a few names to a mistyped one. Pure. */

// Edits (insert, delete, replace, swap two neighbours) that turn `a` into `b`; stops counting at
// `limit` + 1, which is all the caller needs to know.
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  // Three rows of the dynamic-programming table: two back (for swaps), one back and this one.
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, before[j - 2] + 1);
      }
      row.push(d);
    }
    before = prev;
    prev = row;
  }
  return prev[b.length];
}

/**
 * The candidate closest to `word` (ignoring case), or undefined when none is close: at most a
 * third of the longer name's letters edited, and never more than 3 (so `nme` → `name`,
 * `prot` → `port`, but not `x` → `y`). Ties go to the earlier candidate.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c.length < 2 || c === word) continue;
    const limit = Math.min(3, Math.floor(Math.max(w.length, c.length) / 3));
    const d = editDistance(w, c.toLowerCase(), limit);
    if (d <= limit && d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}
