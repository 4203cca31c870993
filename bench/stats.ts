/** Small statistics helpers: a latency histogram and medians. */

const BUCKET_US = 10;
const BUCKETS = 200_000; // 10 µs buckets up to 2 s; slower samples go to `overflow`

/** Latency histogram with 10 µs resolution; adding a sample is O(1) and allocation free. */
export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  private overflow: number[] = [];
  count = 0;

  addMs(ms: number): void {
    this.count++;
    const i = Math.floor((ms * 1000) / BUCKET_US);
    if (i < BUCKETS) this.counts[Math.max(i, 0)]!++;
    else if (this.overflow.length < 100_000) this.overflow.push(ms);
  }

  /** The q-quantile (0..1) in ms, or NaN when empty. */
  quantileMs(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return ((i + 0.5) * BUCKET_US) / 1000;
    }
    const sorted = [...this.overflow].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, rank - seen - 1)] ?? Number.NaN;
  }
}

/** Median of the finite values, or NaN when there are none. */
export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
