/** Percentiles, rounding and the rotation that interleaves the contenders. */

/** The p-th percentile (nearest rank; the median of an even count is the mean of the two). */
export function pct(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  if (p === 50) {
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  }
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

export const p50 = (xs: number[]): number => pct(xs, 50);
export const p90 = (xs: number[]): number => pct(xs, 90);
/** One decimal, or null for NaN/Infinity (JSON has no NaN). */
export const r1 = (x: number): number | null => Number.isFinite(x) ? Math.round(x * 10) / 10 : null;
/** Two decimals, or null. */
export const r2 = (x: number): number | null =>
  Number.isFinite(x) ? Math.round(x * 100) / 100 : null;

/** xs rotated left by n: round n of A B C runs B C A, C A B, … so drift cancels out. */
export function rotate<T>(xs: readonly T[], n: number): T[] {
  const k = n % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}
