/**
 * Edit distance with adjacent transpositions counted as one edit (optimal string
 * alignment), for "did you mean" hints: `pyhton` is one edit from `python`. Three rolling
 * rows: workflows may offer 100,000 step ids as candidates.
 */
function distance(a: string, b: string): number {
  let before = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let row = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, (before[j - 2] ?? 0) + 1);
      row[j] = d;
    }
    [before, prev, row] = [prev, row, before];
  }
  return prev[b.length] ?? 0;
}

/**
 * `" (did you mean 'x'?)"` when a candidate is close to `word`, else `""`. Close means at
 * most one edit per three letters of the shorter word (none below three letters: `f` is
 * not a typo of `a`), so a typo is caught (`pyton`, `dependson`, `lau`; also a start of 4
 * letters or more: `lang`) but an unrelated word is not (`wasm` is not `bash`).
 */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  const w = word.toLowerCase();
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    const shorter = Math.min(w.length, c.length);
    const allowed = shorter < 3 ? 0 : Math.max(1, Math.floor(shorter / 3));
    const prefix = w.length >= 4 && c.startsWith(w);
    // The distance is at least the difference in length: most candidates stop here.
    if (!prefix && Math.abs(w.length - c.length) > Math.min(allowed, bestScore - 1)) continue;
    const d = distance(w, c);
    if ((d <= allowed || prefix) && d < bestScore) {
      bestScore = d;
      best = candidate;
    }
  }
  return best !== undefined ? ` (did you mean '${best}'?)` : "";
}
