/**
 * Edit distance with adjacent transpositions counted as one edit (optimal string
 * alignment), for "did you mean" hints: `pyhton` is one edit from `python`.
 */
function distance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => rows[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, at(i - 2, j - 2) + 1);
      row[j] = d;
    }
  }
  return at(a.length, b.length);
}

/**
 * `" (did you mean 'x'?)"` when a candidate is close to `word`, else `""`. Close means at
 * most one edit per three letters of the shorter word (none below three letters: `f` is
 * not a typo of `a`), so a typo is
 * caught (`pyton`, `dependson`, `lau`; also a start of 4 letters or more: `lang`) but an
 * unrelated word is not (`wasm` is not `bash`).
 */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = distance(w, c.toLowerCase());
    const shorter = Math.min(w.length, c.length);
    const allowed = shorter < 3 ? 0 : Math.max(1, Math.floor(shorter / 3));
    const prefix = w.length >= 4 && c.toLowerCase().startsWith(w);
    if ((d <= allowed || prefix) && d < bestScore) {
      bestScore = d;
      best = c;
    }
  }
  return best !== undefined ? ` (did you mean '${best}'?)` : "";
}
