import * as z from 'zod';

/**
 * Durations in config: a number of seconds, or a string such as `90s`, `5m`, `12h`, `30d`.
 * Parsed to whole seconds. A leaf module (zod only): the root config schema, the apps schema in
 * src/policy and the emulator's seed all use it, so it belongs to none of them.
 */
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

export function parseDuration(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new Error(`duration must be >= 0 seconds, got ${input}`);
    return Math.floor(input);
  }
  const m = /^\s*(\d+)\s*(s|m|h|d)?\s*$/.exec(input);
  if (!m) throw new Error(`"${input}" is not a duration; write seconds (300) or a number with s/m/h/d (5m)`);
  return Number(m[1]) * UNITS[m[2] ?? 's']!;
}

/** Zod type for a duration field; the parsed value is seconds. */
export const duration = () =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    try {
      return parseDuration(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  });

/** Writes whole seconds the way config does: `90s`, `5m`, `12h`. */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const)
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  return `${seconds}s`;
}

/**
 * A duration that must lie in [min, max] seconds. `key` and `why` make the message: a zero timeout
 * would fail every call, so it is refused here rather than discovered in production.
 */
export const durationBetween = (key: string, min: number, max: number, why = '') =>
  duration().refine((s) => s >= min && s <= max, {
    message: `${key} must be from ${formatDuration(min)} to ${formatDuration(max)}${why ? ` (${why})` : ''}`,
  });
