#!/usr/bin/env node
// The project runs its TypeScript through tsx (no build step); register it, then hand over.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/main.ts');
process.exitCode = await runCli(process.argv);
