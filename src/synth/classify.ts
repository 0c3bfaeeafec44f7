/**
 * A deliberately simple machine classifier (log power at a ladder of spatial periods along x and y,
 * standardised, nearest class centroid), used to show what the strength knob does to how
 * separable machines are. It is a yardstick, not the product's source-identification model.
 */
import { periodPower, type Plane } from './measure.js';

/** Periods from 3 to 96 pixels, 40 log-spaced steps (about 9% apart). */
export const SPECTRAL_PERIODS: number[] = Array.from({ length: 40 }, (_, i) => 3 * Math.pow(32, i / 39));

/** Log power at each period along x, then along y. */
export function spectralFeatures(img: Plane, periods: number[] = SPECTRAL_PERIODS): number[] {
  const f: number[] = [];
  for (const axis of ['x', 'y'] as const) for (const p of periods) f.push(Math.log(periodPower(img, p, axis) + 1e-9));
  return f;
}

export interface LabelledFeatures {
  label: string;
  features: number[];
}

export interface NearestCentroid {
  labels: string[];
  /** The nearest class and the squared distance to every class centroid (standardised features). */
  predict(features: number[]): { label: string; distances: Map<string, number> };
}

/** Nearest class centroid on features standardised by the training set. */
export function trainNearestCentroid(train: LabelledFeatures[]): NearestCentroid {
  const d = train[0].features.length;
  const mean = new Array<number>(d).fill(0);
  const sd = new Array<number>(d).fill(0);
  for (const t of train) t.features.forEach((v, i) => (mean[i] += v / train.length));
  for (const t of train) t.features.forEach((v, i) => (sd[i] += (v - mean[i]) ** 2 / train.length));
  const z = (f: number[]) => f.map((v, i) => (v - mean[i]) / Math.sqrt(sd[i] + 1e-12));
  const sums = new Map<string, { sum: number[]; n: number }>();
  for (const t of train) {
    const c = sums.get(t.label) ?? { sum: new Array<number>(d).fill(0), n: 0 };
    z(t.features).forEach((v, i) => (c.sum[i] += v));
    c.n++;
    sums.set(t.label, c);
  }
  const centroids = [...sums].map(([label, c]) => ({ label, mean: c.sum.map((v) => v / c.n) }));
  return {
    labels: centroids.map((c) => c.label),
    predict(features) {
      const f = z(features);
      const distances = new Map<string, number>();
      let best = '';
      let bestD = Infinity;
      for (const c of centroids) {
        let dist = 0;
        for (let i = 0; i < d; i++) dist += (f[i] - c.mean[i]) ** 2;
        distances.set(c.label, dist);
        if (dist < bestD) {
          bestD = dist;
          best = c.label;
        }
      }
      return { label: best, distances };
    },
  };
}

/** Trains nearest-centroid on `train` and returns the accuracy on `test`. */
export function nearestCentroidAccuracy(train: LabelledFeatures[], test: LabelledFeatures[]): number {
  const model = trainNearestCentroid(train);
  return test.filter((t) => model.predict(t.features).label === t.label).length / test.length;
}
