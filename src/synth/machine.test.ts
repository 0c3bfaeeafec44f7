import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, makeMachines, makePart } from './catalogue.js';
import { renderCapture, sampleCaptureParams } from './capture.js';
import { nearestCentroidAccuracy, spectralFeatures, type LabelledFeatures } from './classify.js';
import { dominantPeriod, periodPower } from './measure.js';
import type { ProcessName, SynthConfig } from './types.js';

const P = 5.3;

function registered(config: SynthConfig, index: number, size: number) {
  const machines = makeMachines(config);
  const part = makePart(config, machines, index);
  const cap = renderCapture(part, sampleCaptureParams(part, 0), { size, pixelUm: P });
  return { part, img: { width: size, height: size, data: cap.pixels } };
}

describe('machine signatures', () => {
  it('each grid machine shows a spectral peak at its own pitch, stable over its parts and different between machines', () => {
    const N = 320;
    const config: SynthConfig = { ...DEFAULT_CONFIG, processes: ['SLA', 'DLS'], machines: 8, partsPerMachine: 2, strength: 1 };
    const machines = makeMachines(config);
    const found = new Map<string, number>();
    for (const m of machines) {
      const key = m.process === 'MJF' ? 'printheadUm' : 'pitchUm';
      const nominal = { SLA: 50, DLS: 75, MJF: 42.33, FDM: 254 }[m.process] / P;
      const ladder = Array.from({ length: 321 }, (_, k) => nominal * (1 + (k - 160) * 0.0005));
      const truth = m.params[key] / P;
      const estimates: number[] = [];
      for (let i = 0; i < 2; i++) {
        const { img } = registered(config, m.index * 2 + i, N);
        const est = dominantPeriod(img, ladder, 'x');
        estimates.push(est);
        // The peak stands well above the texture around it.
        const off = [0.9, 1.1].map((f) => periodPower(img, est * f, 'x'));
        expect(periodPower(img, est, 'x'), `${m.name} peak`).toBeGreaterThan(1.5 * Math.max(...off));
      }
      for (const e of estimates) expect(Math.abs(e - truth) / truth, `${m.name} ${m.process} est ${e} truth ${truth}`).toBeLessThan(0.006);
      found.set(m.name, (estimates[0] + estimates[1]) / 2);
    }
    // Machines of one process whose pitches differ by more than 1%: the measured pitches differ the same way.
    let pairs = 0;
    for (const a of machines) {
      for (const b of machines) {
        if (a.index >= b.index || a.process !== b.process) continue;
        const key = a.process === 'MJF' ? 'printheadUm' : 'pitchUm';
        const dTruth = (a.params[key] - b.params[key]) / P;
        const dFound = found.get(a.name)! - found.get(b.name)!;
        if (Math.abs(dTruth) / (a.params[key] / P) < 0.01) continue;
        pairs++;
        expect(Math.sign(dFound)).toBe(Math.sign(dTruth));
        expect(Math.abs(dFound - dTruth)).toBeLessThan(0.5 * Math.abs(dTruth));
      }
    }
    expect(pairs).toBeGreaterThanOrEqual(3);
  });

  it('a smooth field over the tray and a per-build offset make tray position and build recoverable in principle', () => {
    const config: SynthConfig = { ...DEFAULT_CONFIG, processes: ['DLS'], machines: 1, partsPerMachine: 72, strength: 1 };
    const machines = makeMachines(config);
    const parts = Array.from({ length: 72 }, (_, i) => makePart(config, machines, i));
    const vec = (i: number) => [parts[i].tray.depth, parts[i].tray.blur, parts[i].tray.brightness, parts[i].tray.texture];
    const dist = (a: number, b: number) => Math.hypot(...vec(a).map((v, k) => v - vec(b)[k]));
    // Build 1 holds parts 0..35 on a 6 x 6 grid; build 2 the next 36 at the same positions.
    let near = 0;
    let far = 0;
    for (let i = 0; i < 36; i++) {
      if (i % 6 < 5) near += dist(i, i + 1) / 30;
      far += dist(i, 35 - i) / 36;
    }
    expect(near).toBeLessThan(0.5 * far);
    // The same tray position in two builds differs (build offset), by more than neighbours do.
    let across = 0;
    for (let i = 0; i < 36; i++) across += dist(i, i + 36) / 36;
    expect(across).toBeGreaterThan(near);
    expect(new Set(parts.map((p) => p.build))).toEqual(new Set(['M01-B01', 'M01-B02']));
  });

  it('strength 0 makes machines of one process identical in their parameters', () => {
    const machines = makeMachines({ ...DEFAULT_CONFIG, processes: ['FDM'], machines: 3, partsPerMachine: 1, strength: 0 });
    for (const key of ['layerUm', 'stepperPeriodUm', 'zAmp', 'grooveUm']) {
      expect(machines[1].params[key]).toBe(machines[0].params[key]);
      expect(machines[2].params[key]).toBe(machines[0].params[key]);
    }
  });

  for (const process of ['SLA', 'MJF', 'FDM'] as ProcessName[]) {
    it(`${process}: the strength knob moves a simple classifier from chance towards perfect`, () => {
      // FDM layers are 48 px apart: give the classifier a few more of them.
      const N = process === 'FDM' ? 256 : 192;
      const accuracy = (strength: number): number => {
        const config: SynthConfig = { ...DEFAULT_CONFIG, processes: [process], machines: 3, partsPerMachine: 10, strength };
        const train: LabelledFeatures[] = [];
        const test: LabelledFeatures[] = [];
        for (let i = 0; i < 30; i++) {
          const { part, img } = registered(config, i, N);
          (i % 10 < 5 ? train : test).push({ label: part.machine.name, features: spectralFeatures(img) });
        }
        return nearestCentroidAccuracy(train, test);
      };
      const weak = accuracy(0);
      const strong = accuracy(6);
      console.log(`${process}: strength 0 -> ${weak.toFixed(2)}, strength 6 -> ${strong.toFixed(2)}`);
      // 3 machines, 15 test parts: chance is 1/3.
      expect(weak, `strength 0: ${weak}`).toBeLessThan(0.6);
      expect(strong, `strength 6: ${strong}`).toBeGreaterThan(0.85);
    });
  }
});
