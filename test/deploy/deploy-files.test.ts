import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { apiEnvSchema } from '@audio-index/api';
import { indexerEnvSchema } from '@audio-index/indexer';
import { workerEnvSchema } from '@audio-index/worker';

/**
 * No Docker engine runs here, so the deployment files are checked statically: the compose
 * file by docker-compose's own schema validation and by the invariants the system relies on,
 * the Dockerfile by a Dockerfile linter and by checking every path it copies exists.
 */
interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  restart?: string;
  healthcheck?: unknown;
  profiles?: string[];
  deploy?: { resources?: { reservations?: { devices?: { driver: string; capabilities: string[] }[] } } };
}

const compose = parse(fs.readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
const services = compose.services;
const knownVariables = new Set([
  ...Object.keys(apiEnvSchema.shape),
  ...Object.keys(workerEnvSchema.shape),
  ...Object.keys(indexerEnvSchema.shape),
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'NODE_ENV',
]);

describe('docker-compose.yml', () => {
  it('passes docker-compose config validation', () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'compose-'));
    fs.copyFileSync('docker-compose.yml', path.join(directory, 'docker-compose.yml'));
    fs.copyFileSync('.env.example', path.join(directory, '.env'));
    const result = spawnSync('docker-compose', ['--profile', 'gpu', 'config', '-q'], { cwd: directory, encoding: 'utf8' });
    fs.rmSync(directory, { recursive: true });
    expect(result.error, 'docker-compose is installed by scripts/setup.sh').toBeUndefined();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('runs Redis with AOF and noeviction, as BullMQ needs', () => {
    const command = services.redis!.command!.join(' ');
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--maxmemory-policy noeviction');
  });

  it('has the api, CPU and GPU workers, indexer and MinIO with its bucket step', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'indexer', 'minio', 'minio-init', 'redis', 'worker', 'worker-gpu']);
    expect(services['minio-init']!.command!.join(' ')).toContain('mc mb --ignore-existing');
    expect(services.api!.command).toEqual(['apps/api/src/main.ts']);
    expect(services.worker!.command).toEqual(['apps/worker/src/main.ts']);
    expect(services.indexer!.command).toEqual(['apps/indexer/src/main.ts']);
    for (const [name, command] of Object.entries({ api: 'api', worker: 'worker', indexer: 'indexer' })) {
      expect(fs.existsSync(`apps/${command}/src/main.ts`), name).toBe(true);
    }
  });

  it('reserves a GPU for the gpu-profile worker and selects the CUDA provider', () => {
    const gpu = services['worker-gpu']!;
    expect(gpu.profiles).toEqual(['gpu']);
    expect(gpu.environment!.EXECUTION_PROVIDER).toBe('cuda');
    expect(gpu.deploy!.resources!.reservations!.devices![0]).toMatchObject({ driver: 'nvidia', capabilities: ['gpu'] });
  });

  it('restarts long-running services and health-checks the ones others wait for', () => {
    for (const name of ['redis', 'minio', 'api', 'worker', 'worker-gpu', 'indexer']) expect(services[name]!.restart, name).toBe('unless-stopped');
    for (const name of ['redis', 'minio', 'api']) expect(services[name]!.healthcheck, name).toBeDefined();
  });

  it('passes only variables the apps know', () => {
    for (const name of ['api', 'worker', 'worker-gpu', 'indexer']) {
      for (const variable of Object.keys(services[name]!.environment ?? {})) expect(knownVariables, `${name}: ${variable}`).toContain(variable);
    }
    const example = fs.readFileSync('.env.example', 'utf8');
    for (const line of example.split('\n').filter((entry) => /^[A-Z_]+=/.test(entry))) {
      const variable = line.split('=')[0]!;
      const composeOnly = ['MINIO_ROOT_USER', 'MINIO_ROOT_PASSWORD', 'S3_BUCKET', 'API_PUBLISH'];
      if (!composeOnly.includes(variable)) expect(knownVariables, `.env.example: ${variable}`).toContain(variable);
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = fs.readFileSync('Dockerfile', 'utf8');

  it('has no linter errors or warnings', () => {
    const problems = validate(dockerfile);
    expect(problems.map((problem) => `${problem.range.start.line + 1}: ${problem.message}`)).toEqual([]);
  });

  it('copies only paths that exist, and builds the stages compose uses', () => {
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)].flatMap((match) => match[1]!.trim().split(/\s+/).slice(0, -1));
    expect(copied.length).toBeGreaterThan(5);
    for (const source of copied) expect(fs.existsSync(source), source).toBe(true);
    const stages = [...dockerfile.matchAll(/^FROM \S+ AS (\S+)$/gm)].map((match) => match[1]);
    expect(stages).toEqual(expect.arrayContaining(['build', 'runtime', 'worker-gpu']));
    expect(dockerfile).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12');
  });

  it("builds on Node 24 with the same native build scripts as setup, not the host's builds", () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24-bookworm-slim$/m);
    const build = dockerfile.slice(dockerfile.indexOf(' AS build'), dockerfile.indexOf(' AS runtime'));
    // Both addons, and the header discovery they source (the image keeps headers beside node).
    expect(build).toMatch(/^COPY scripts\/node-headers\.sh scripts\/build-faiss-node\.sh scripts\/build-faiss-search-addon\.sh scripts\/$/m);
    expect(build).toMatch(/^RUN bash scripts\/build-faiss-node\.sh && bash scripts\/build-faiss-search-addon\.sh$/m);
    expect(build).not.toContain('NODE_INCLUDE_DIR');
    // `COPY apps apps` comes after the build: a host build there (maybe linking a host-only
    // AVX2 Faiss) would replace the image's own.
    const ignored = fs.readFileSync('.dockerignore', 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['apps/api/native/build', '.cache', 'node_modules']));
  });

  it('lists every workspace package.json so npm ci sees the whole workspace', () => {
    const workspaces = execFileSync('git', ['ls-files', 'apps/*/package.json', 'packages/*/package.json'], { encoding: 'utf8' }).trim().split('\n');
    for (const manifest of workspaces) expect(dockerfile, manifest).toContain(`COPY ${manifest}`);
  });
});
