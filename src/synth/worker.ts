/** Worker-thread entry: renders the jobs it is sent, one at a time. */
import { serveRenderJobs } from './pool.js';

serveRenderJobs();
