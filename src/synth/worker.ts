/** Worker-thread entry of synth's piscina pool (./pool.ts): renders one job per call. */
import { runRenderJob } from './jobs.js';

export default runRenderJob;
