/**
 * The scaling half of identity-synth on its own (results in identity-scaling.*): 1:N shortlist
 * build time, memory, recall and latency at growing galleries of the registered parts plus real
 * synthetic distractors, LSH beside usearch, and the distractor check. Same env knobs as
 * identity-synth (IDENTITY_SYNTH_SKIP_SERVICE is forced; IDENTITY_SYNTH_RESULT_NAME renames the
 * result files).
 */
import type { BenchResult } from './run.js';

export async function run(): Promise<BenchResult> {
  process.env.IDENTITY_SYNTH_SKIP_SERVICE = '1';
  const { run: synth } = await import('./identity-synth.bench.js');
  return { ...(await synth()), name: process.env.IDENTITY_SYNTH_RESULT_NAME ?? 'identity-scaling' };
}
