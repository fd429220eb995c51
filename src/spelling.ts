/**
 * "Did you mean": the candidate nearest to a misspelt word (Levenshtein distance, case-insensitive),
 * if it is close enough to be a likely typo. A leaf: config key errors and CLI flag errors both use it.
 */
export function closestWord(word: string, candidates: readonly string[], maxDistance = 2): string | undefined {
  const dist = (a: string, b: string) => {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
      let prev = row[0] ?? 0;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const tmp = row[j] ?? 0;
        row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = tmp;
      }
    }
    return row[b.length] ?? 0;
  };
  let best: { word: string; distance: number } | undefined;
  for (const c of candidates) {
    const d = dist(word.toLowerCase(), c.toLowerCase());
    if (!best || d < best.distance) best = { word: c, distance: d };
  }
  return best && best.distance <= maxDistance ? best.word : undefined;
}
