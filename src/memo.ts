/**
 * A function of a string remembered for its first `max` distinct arguments, then computed afresh
 * for any other: for answers that depend on the argument alone (field and header names, the code's
 * own literals) whose inputs are few in practice, where a client could still send many, so the
 * bound keeps memory flat. `compute` must not return undefined; what it throws is not remembered.
 */
export function rememberFirst<V>(max: number, compute: (key: string) => V): (key: string) => V {
  const known = new Map<string, V>();
  return (key) => {
    let value = known.get(key);
    if (value === undefined) {
      value = compute(key);
      if (known.size < max) known.set(key, value);
    }
    return value;
  };
}

/**
 * A copy of a string in memory of its own, for text a cache keeps. V8 makes `slice` of a long string
 * a view that keeps the whole parent alive (a ~4 KB Cookie header for a 64-character key), and a
 * template's result a tree of its pieces until flattened; a string built by `join` is one flat piece.
 */
export function flatCopy(text: string): string {
  return Array.from(text).join('');
}
