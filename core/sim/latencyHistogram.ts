// A latency histogram with HdrHistogram's buckets and answers (hdr-histogram-js: lowest discernible
// value, highest trackable value, significant digits; auto-resizing), cheap to record into and to
// ask: a value is counted in its bucket by the library's own index arithmetic
// (JsHistogram.countsArrayIndex: the same Math expressions in the same order, powers of two looked
// up), and a percentile is answered by the library's JsHistogram.getValueAtPercentile walk over the
// same per-bucket counts, with its expressions (ulp, valueFromIndex, lowest/highestEquivalentValue),
// so no library histogram (and its whole counts array) is built per query. The answers are the
// library's for the same values recorded one by one (latencyHistogram.test.ts checks them against
// it); past 2^31 - 1 values, where the library's 32-bit counts would wrap, the library itself is
// asked, built from each used bucket's count and one value recorded in it.
// Must not: answer anything the library would not answer the same way (no percentile math of its own).

import * as hdr from 'hdr-histogram-js';

export interface LatencyHistogramConfig {
  readonly lowestDiscernibleValue: number;
  readonly highestTrackableValue: number;
  readonly numberOfSignificantValueDigits: 1 | 2 | 3 | 4 | 5;
}

/** The fields of hdr-histogram-js's JsHistogram that place a value in its counts array. */
interface HdrShape {
  readonly unitMagnitude: number;
  readonly subBucketHalfCountMagnitude: number;
  readonly subBucketHalfCount: number;
  readonly subBucketCount: number;
  readonly countsArrayLength: number;
}

/** Above this many values the library's bitBucketSize-32 counts could wrap: it is asked itself. */
const MAX_OWN_COUNT = 2 ** 31 - 1;

/** 2 ** k for k = 0..64 (Math.pow(2, k), as the library computes it, is the same exact power of two). */
const POW2 = Array.from({ length: 65 }, (_, k) => 2 ** k);

const TWO_32 = 2 ** 32;

const EMPTY = new Float64Array(0);

/**
 * The library's shape for each configuration asked so far: it depends only on the configuration,
 * and building a library histogram to read it allocates its whole counts array (the larger part of
 * building a run with a few histograms).
 */
const SHAPES = new Map<string, HdrShape>();

function shapeOf(config: LatencyHistogramConfig): HdrShape {
  const key = `${config.lowestDiscernibleValue}/${config.highestTrackableValue}/${config.numberOfSignificantValueDigits}`;
  let shape = SHAPES.get(key);
  if (shape === undefined) {
    const h = hdr.build({ ...config, bitBucketSize: 32 }) as unknown as HdrShape;
    shape = {
      unitMagnitude: h.unitMagnitude,
      subBucketHalfCountMagnitude: h.subBucketHalfCountMagnitude,
      subBucketHalfCount: h.subBucketHalfCount,
      subBucketCount: (h as unknown as { subBucketCount: number }).subBucketCount,
      countsArrayLength: h.countsArrayLength,
    };
    SHAPES.set(key, shape);
  }
  return shape;
}

/** hdr-histogram-js's ulp (dist/ulp.js): 2^(floor(log2 x) - 52). */
function ulp(x: number): number {
  return Math.pow(2, Math.floor(Math.log2(x)) - 52);
}

function pow2(k: number): number {
  return POW2[k] ?? Math.pow(2, k);
}

export class LatencyHistogram {
  private readonly unitMagnitude: number;
  private readonly halfCountMagnitude: number;
  private readonly halfCount: number;
  private readonly subBucketCount: number;
  /** Count per counts-array index, and one value recorded at that index (allocated at the first value). */
  private counts: Float64Array = EMPTY;
  private repr: Float64Array = EMPTY;
  private readonly firstLength: number;
  /** Values whose index is NaN (NaN, infinity): the library counts them in the total only. */
  private unplaced = 0;
  private unplacedValue = 0;
  private used = 0;
  totalCount = 0;
  private answered: hdr.Histogram | null = null;

  constructor(private readonly config: LatencyHistogramConfig) {
    const shape = shapeOf(config);
    this.unitMagnitude = shape.unitMagnitude;
    this.halfCountMagnitude = shape.subBucketHalfCountMagnitude;
    this.halfCount = shape.subBucketHalfCount;
    this.subBucketCount = shape.subBucketCount;
    this.firstLength = Math.min(shape.countsArrayLength, 4 * this.halfCount);
  }

  /** JsHistogram.countsArrayIndex(value), with its expressions: getBucketIndex, getSubBucketIndex, computeCountsArrayIndex. */
  countsArrayIndex(value: number): number {
    if (value < 0) throw new Error('Histogram recorded value cannot be negative.');
    // floor(Math.log2(v)) for an integer 1 <= v < 2^32 is 31 - clz32(v): log2(2^k - 1) lies 2^-k / ln 2
    // (> 1e-10) below k, far more than Math.log2's rounding error, so both agree; other values
    // (fractions, 0, 2^32 and up) take the library's expression itself.
    const log2 = value >= 1 && value < TWO_32 && Math.floor(value) === value ? 31 - Math.clz32(value) : Math.floor(Math.log2(value));
    const bucketIndex = Math.max(log2 - this.halfCountMagnitude - this.unitMagnitude, 0);
    const subBucketIndex = Math.floor(value / pow2(bucketIndex + this.unitMagnitude));
    return (bucketIndex + 1) * pow2(this.halfCountMagnitude) + (subBucketIndex - this.halfCount);
  }

  recordValue(value: number): void {
    const index = this.countsArrayIndex(value);
    this.totalCount++;
    this.answered = null;
    if (Number.isNaN(index)) {
      this.unplaced++;
      this.unplacedValue = value;
      return;
    }
    if (index >= this.counts.length) this.grow(index);
    this.counts[index]!++;
    this.repr[index] = value;
    if (index >= this.used) this.used = index + 1;
  }

  private grow(index: number): void {
    let n = Math.max(this.firstLength, this.counts.length * 2);
    while (n <= index) n *= 2;
    const counts = new Float64Array(n);
    counts.set(this.counts);
    const repr = new Float64Array(n);
    repr.set(this.repr);
    this.counts = counts;
    this.repr = repr;
  }

  /**
   * The library's getValueAtPercentile over the same values: JsHistogram.getValueAtPercentile with
   * its expressions, walking the used part of the counts (the rest holds no count, so the library's
   * walk over its whole counts array adds nothing there and ends the same way).
   */
  getValueAtPercentile(percentile: number): number {
    if (this.totalCount > MAX_OWN_COUNT) return this.library().getValueAtPercentile(percentile);
    const requestedPercentile = Math.min(percentile, 100);
    const fpCountAtPercentile = (requestedPercentile / 100.0) * this.totalCount;
    const countAtPercentile = Math.max(Math.ceil(fpCountAtPercentile - ulp(fpCountAtPercentile)), 1);
    let totalToCurrentIndex = 0;
    for (let i = 0; i < this.used; i++) {
      totalToCurrentIndex += this.counts[i]!;
      if (totalToCurrentIndex >= countAtPercentile) {
        const valueAtIndex = this.valueFromIndex(i);
        return percentile === 0.0 ? this.lowestEquivalentValue(valueAtIndex) : this.highestEquivalentValue(valueAtIndex);
      }
    }
    return 0;
  }

  /** JsHistogram.valueFromIndex. */
  private valueFromIndex(index: number): number {
    let bucketIndex = Math.floor(index / this.halfCount) - 1;
    let subBucketIndex = (index % this.halfCount) + this.halfCount;
    if (bucketIndex < 0) {
      subBucketIndex -= this.halfCount;
      bucketIndex = 0;
    }
    return subBucketIndex * Math.pow(2, bucketIndex + this.unitMagnitude);
  }

  /** JsHistogram.getBucketIndex (the library's own expression: valueFromIndex's values are not all below 2^32). */
  private bucketIndexOf(value: number): number {
    return Math.max(Math.floor(Math.log2(value)) - this.halfCountMagnitude - this.unitMagnitude, 0);
  }

  /** JsHistogram.lowestEquivalentValue. */
  private lowestEquivalentValue(value: number): number {
    const bucketIndex = this.bucketIndexOf(value);
    const subBucketIndex = Math.floor(value / Math.pow(2, bucketIndex + this.unitMagnitude));
    return subBucketIndex * Math.pow(2, bucketIndex + this.unitMagnitude);
  }

  /** JsHistogram.highestEquivalentValue: nextNonEquivalentValue - 1 (lowest + sizeOfEquivalentValueRange). */
  private highestEquivalentValue(value: number): number {
    const bucketIndex = this.bucketIndexOf(value);
    const subBucketIndex = Math.floor(value / Math.pow(2, bucketIndex + this.unitMagnitude));
    const size = Math.pow(2, this.unitMagnitude + (subBucketIndex >= this.subBucketCount ? bucketIndex + 1 : bucketIndex));
    return this.lowestEquivalentValue(value) + size - 1;
  }

  /** The library's histogram of everything recorded so far (bucket by bucket; kept until the next record). */
  private library(): hdr.Histogram {
    if (this.answered !== null) return this.answered;
    const h = hdr.build({ ...this.config, bitBucketSize: 32 });
    for (let i = 0; i < this.used; i++) if (this.counts[i]! > 0) h.recordValueWithCount(this.repr[i]!, this.counts[i]!);
    if (this.unplaced > 0) h.recordValueWithCount(this.unplacedValue, this.unplaced);
    this.answered = h;
    return h;
  }
}
