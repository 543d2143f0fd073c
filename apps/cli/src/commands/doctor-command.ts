import type { ApiClient } from '../api-client.ts';
import { checkModel } from '../doctor/model-check.ts';
import type { CheckResult } from '../doctor/doctor-check.ts';
import { checkApi, checkRedis, checkStore } from '../doctor/service-checks.ts';
import { checkBlas, checkCuda, checkFaiss, checkFfmpeg, checkNode } from '../doctor/system-checks.ts';
import type { DoctorConfig } from '../env.ts';
import { ExitCode, type ExitCodeValue } from '../exit-codes.ts';

export interface DoctorOptions {
  json: boolean;
  apiKey: string | undefined;
}

/**
 * Checks this machine and the services it is configured for, in the order a person fixes
 * them: the runtime, then Redis and the store, the local parts (ffmpeg, model, Faiss, BLAS,
 * CUDA), the API last (it needs the others). Exit 7 when any check fails.
 */
export async function doctorCommand(api: ApiClient, config: DoctorConfig, options: DoctorOptions): Promise<ExitCodeValue> {
  const checks: CheckResult[] = [checkNode()];
  // Independent of each other: run together so a dead dependency costs one timeout, not several.
  const [redis, store, ffmpeg] = await Promise.all([checkRedis(config.redis.url), checkStore(config.store), checkFfmpeg()]);
  checks.push(
    redis,
    store,
    ffmpeg,
    await checkModel(config.model.model, config.model.executionProvider),
    checkFaiss(),
    await checkBlas(),
    await checkCuda(config.model.executionProvider),
  );
  checks.push(await checkApi(api.baseUrl, options.apiKey));
  const failed = checks.filter((check) => check.status === 'fail').length;
  if (options.json) console.log(JSON.stringify({ ok: failed === 0, checks }));
  else console.log(formatChecks(checks));
  return failed === 0 ? ExitCode.OK : ExitCode.DOCTOR_FAILED;
}

function formatChecks(checks: readonly CheckResult[]): string {
  const width = Math.max(...checks.map((check) => check.name.length));
  const lines = checks.flatMap((check) => {
    const line = `${check.status.padEnd(4)}  ${check.name.padEnd(width)}  ${check.detail}`;
    return check.fix ? [line, `${' '.repeat(width + 8)}fix: ${check.fix}`] : [line];
  });
  const count = (status: string) => checks.filter((check) => check.status === status).length;
  lines.push('', `${count('ok')} ok, ${count('warn')} warn, ${count('fail')} fail${count('skip') ? `, ${count('skip')} skipped` : ''}`);
  return lines.join('\n');
}
