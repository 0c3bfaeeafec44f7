export { buildProgram, runCli, type CommandModule } from './main.js';
export { EXIT, exitCodeFor } from './exit-codes.js';
export { createProgressBar } from './progress-bar.js';
