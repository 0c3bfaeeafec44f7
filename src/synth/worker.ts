/** Worker-thread entry of synth's piscina pool (./pool.ts): renders one job (either generator) per call. */
import { runAnyJob } from './pool.js';

export default runAnyJob;
