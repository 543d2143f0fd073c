export { runCli } from './main.ts';
export { ExitCode } from './exit-codes.ts';
