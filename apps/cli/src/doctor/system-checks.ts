import { execFile } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { reasonOf, withinCheckTimeout, type CheckResult } from './doctor-check.ts';

const run = promisify(execFile);

/** Node 20 reached end of life in April 2026; 22 and 24 are supported LTS lines. */
export function checkNode(version: string = process.versions.node): CheckResult {
  const major = Number(version.split('.')[0]);
  const detail = `v${version}`;
  if (major < 20) return { name: 'node', status: 'fail', detail: `${detail} is older than the supported 20`, fix: 'install Node 24 (the active LTS)' };
  if (major === 20)
    return { name: 'node', status: 'warn', detail: `${detail}: Node 20 reached end of life in April 2026`, fix: 'install Node 24 (the active LTS)' };
  return { name: 'node', status: 'ok', detail };
}

export async function checkFfmpeg(ffmpegPath = 'ffmpeg'): Promise<CheckResult> {
  try {
    const { stdout } = await withinCheckTimeout(run(ffmpegPath, ['-hide_banner', '-version']), 'ffmpeg -version');
    const version = /ffmpeg version (\S+)/.exec(stdout)?.[1] ?? 'unknown version';
    return { name: 'ffmpeg', status: 'ok', detail: `${version} (${ffmpegPath})` };
  } catch (error) {
    return {
      name: 'ffmpeg',
      status: 'fail',
      detail: `${ffmpegPath} does not run (${reasonOf(error)})`,
      fix: 'apt-get install ffmpeg (or run bash scripts/setup.sh)',
    };
  }
}

const addonPath = fileURLToPath(new URL('../../../api/native/build/flat-ip-search.node', import.meta.url));

/** The search addon reports which Faiss it links (scripts/build-faiss-search-addon.sh). */
export function checkFaiss(): CheckResult {
  if (!existsSync(addonPath))
    return {
      name: 'faiss',
      status: 'fail',
      detail: `search addon missing at ${addonPath}`,
      fix: 'bash scripts/setup.sh (or scripts/build-faiss-search-addon.sh)',
    };
  try {
    const addon = createRequire(import.meta.url)(addonPath) as { variant(): string };
    const variant = addon.variant();
    if (variant === 'avx2') return { name: 'faiss', status: 'ok', detail: 'AVX2 build' };
    const cpuHasAvx2 = readCpuFlags().includes('avx2');
    return cpuHasAvx2
      ? {
          name: 'faiss',
          status: 'warn',
          detail: `${variant} build on a CPU with AVX2 (single queries about 5x slower)`,
          fix: 'bash scripts/build-faiss-avx2.sh && bash scripts/build-faiss-search-addon.sh',
        }
      : { name: 'faiss', status: 'ok', detail: `${variant} build (this CPU has no AVX2)` };
  } catch (error) {
    return {
      name: 'faiss',
      status: 'fail',
      detail: `search addon does not load (${reasonOf(error)})`,
      fix: 'rebuild it: bash scripts/build-faiss-search-addon.sh',
    };
  }
}

/** Which libblas.so.3 the addon resolves: Debian's reference BLAS makes batched search tens of times slower. */
export async function checkBlas(): Promise<CheckResult> {
  if (!existsSync(addonPath)) return { name: 'blas', status: 'skip', detail: 'no search addon to inspect' };
  try {
    const { stdout } = await withinCheckTimeout(run('ldd', [addonPath]), 'ldd');
    const linked = /libblas\.so\.3 => (\S+)/.exec(stdout)?.[1];
    if (!linked)
      return {
        name: 'blas',
        status: 'warn',
        detail: 'the addon links no libblas.so.3 (unexpected build)',
        fix: 'rebuild: bash scripts/build-faiss-search-addon.sh',
      };
    const resolved = realpathSync(linked);
    const alternative = await blasAlternative();
    const where = `${resolved}${alternative ? ` (update-alternatives: ${alternative})` : ''}`;
    if (/openblas|mkl|blis/i.test(resolved))
      return { name: 'blas', status: 'ok', detail: `${/openblas/i.test(resolved) ? 'OpenBLAS' : /mkl/i.test(resolved) ? 'MKL' : 'BLIS'}: ${where}` };
    return {
      name: 'blas',
      status: 'warn',
      detail: `reference BLAS: ${where}; batched search is tens of times slower`,
      fix: 'apt-get install libopenblas0-pthread (it becomes the libblas.so.3 alternative)',
    };
  } catch (error) {
    return { name: 'blas', status: 'warn', detail: `cannot inspect (${reasonOf(error)})`, fix: 'check `ldd apps/api/native/build/flat-ip-search.node`' };
  }
}

async function blasAlternative(): Promise<string | undefined> {
  try {
    const { stdout } = await run('update-alternatives', ['--query', `libblas.so.3-${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`]);
    return /^Value: (.+)$/m.exec(stdout)?.[1];
  } catch {
    return undefined; // not Debian, or no alternatives registered
  }
}

/** CUDA matters only when EXECUTION_PROVIDER=cuda; the model check then loads a CUDA session. */
export async function checkCuda(executionProvider: string): Promise<CheckResult> {
  if (executionProvider !== 'cuda') return { name: 'cuda', status: 'skip', detail: `not configured (EXECUTION_PROVIDER=${executionProvider})` };
  try {
    const { stdout } = await withinCheckTimeout(run('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader']), 'nvidia-smi');
    return { name: 'cuda', status: 'ok', detail: `GPU ${stdout.trim().split('\n').join('; ')}` };
  } catch (error) {
    return {
      name: 'cuda',
      status: 'fail',
      detail: `no usable GPU driver (${reasonOf(error)})`,
      fix: 'install the NVIDIA driver and CUDA 12 libraries, or set EXECUTION_PROVIDER=cpu',
    };
  }
}

function readCpuFlags(): string {
  try {
    return /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
  } catch {
    return '';
  }
}
