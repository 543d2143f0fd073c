import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Each Redis key family has one owner class (issue 14 item 1, docs/redis-keys.md): Redis
 * commands are sent only from the files below, each listed with the reason it may. The
 * source (apps, packages and scripts; tests and benches aside) is parsed with the TypeScript
 * compiler API and every call `<receiver>.<command>(...)` is found whose method is an ioredis
 * command (anything on the client's command prototype: GET, XADD, EVAL, MULTI, call,
 * defineCommand, ...) and whose receiver is a Redis connection by name (`redis`,
 * `this.deps.redis`, `subscriber`, a chain off `redis.multi()`). Connection lifecycle
 * (`disconnect`, `quit`, `on`, `duplicate`) is not a command of a key family and is not counted.
 */
const repoRoot = path.resolve(import.meta.dirname, '../..');
const ROOTS = ['apps', 'packages', 'scripts'];
const SKIPPED_DIRECTORIES = new Set(['node_modules', '.cache', 'build', 'dist', 'native']);

/** The files that may send Redis commands, by repo-relative path, with the reason. */
export const REDIS_OWNERS: Record<string, string> = {
  'packages/shared/src/queue/batch-ledger.ts': 'BatchLedger: every batch field, failure list, batch -> collection lookup',
  'packages/shared/src/queue/collection-stream.ts': 'CollectionStream: every append to a collection stream, its lengths',
  'packages/shared/src/queue/collection-catalog.ts': 'CollectionCatalog: the collections sets and the "being deleted" marker',
  'packages/shared/src/queue/lua-script.ts': 'the one Lua script loader (defineCommand)',
  'packages/shared/src/collections/collection-settings.ts': 'CollectionSettings: the settings record',
  'packages/shared/src/collections/collection-model.ts': 'CollectionModelRecords: the model record, read through its codec',
  'packages/shared/src/snapshot/committed-versions.ts': 'CommittedVersions: the committed-versions sorted set',
  'packages/shared/src/snapshot/snapshot-notice.ts': 'SnapshotNotices: the snapshot pub/sub channel, through its codec',
  'apps/indexer/src/snapshot-commit.ts': 'SnapshotCommit: committed version, last commit id, served credits, version counter',
  'apps/indexer/src/leader-lock.ts': 'LeaderLock: the leader lock and fencing counter',
  'apps/indexer/src/stream-reader.ts': "StreamReader: the indexer's consumer-group reads of a stream",
  'apps/indexer/src/stream-watcher.ts': 'StreamWatcher: the blocking XREAD shared by every collection loop',
  'apps/indexer/src/collection-drop.ts': 'dropCollection: SCAN and DEL of every key of a deleted collection',
  'apps/api/src/routes/health-routes.ts': 'readiness: PING, no key family',
};

/** Files still holding direct calls while another change moves them to the owners above. */
export const REDIS_CALLS_PENDING: Record<string, string> = {};

/** Connection lifecycle: on the command prototype, but no key family's business. */
const LIFECYCLE = new Set(['quit', 'disconnect', 'duplicate', 'connect', 'end', 'constructor', 'getBuiltinCommands', 'createBuiltinCommand']);
// Not `client`: HTTP and S3 clients go by it too (the CLI's doctor sends INFO on one, to the server itself).
const REDIS_RECEIVER = /(^|[a-z])(redis|Redis)$|^(subscriber|publisher|node|cluster|connection)$/;

/** Every method name a Redis command can be sent by: the client's command prototype and its own batching methods. */
function redisCommandNames(): Set<string> {
  const names = new Set([...Object.getOwnPropertyNames(Object.getPrototypeOf(Redis.prototype)), 'multi', 'pipeline', 'exec', 'scanStream']);
  for (const name of LIFECYCLE) names.delete(name);
  return names;
}

function sourceFiles(base: string, roots: readonly string[]): string[] {
  const files: string[] = [];
  const walk = (directory: string) => {
    for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name) && !entry.name.startsWith('.')) walk(path.join(directory, entry.name));
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !entry.name.endsWith('.test.ts')) {
        files.push(path.join(directory, entry.name));
      }
    }
  };
  for (const root of roots) if (fs.existsSync(path.join(base, root))) walk(path.join(base, root));
  return files.sort();
}

/** The name a receiver goes by: `this.deps.redis` -> redis; `redis.multi().srem(a)` -> redis (the chain's base). */
function receiverName(expression: ts.Expression): string | undefined {
  if (ts.isIdentifier(expression)) return expression.text;
  if (ts.isPropertyAccessExpression(expression)) return expression.name.text;
  if (ts.isCallExpression(expression) && ts.isPropertyAccessExpression(expression.expression)) return receiverName(expression.expression.expression);
  if (ts.isParenthesizedExpression(expression) || ts.isAsExpression(expression) || ts.isNonNullExpression(expression))
    return receiverName(expression.expression);
  return undefined;
}

/** `file:line command` for every Redis command call in `text`. */
function redisCalls(file: string, text: string, commands: ReadonlySet<string>): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const calls: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text;
      const receiver = receiverName(node.expression.expression);
      if (commands.has(method) && receiver && REDIS_RECEIVER.test(receiver)) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
        calls.push(`${line + 1} ${receiver}.${method}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return calls;
}

function callsOutsideOwners(base: string, allowed: Readonly<Record<string, string>>): Record<string, string[]> {
  const commands = redisCommandNames();
  const found: Record<string, string[]> = {};
  for (const file of sourceFiles(base, ROOTS)) {
    const relative = path.relative(base, file).split(path.sep).join('/');
    if (relative in allowed) continue;
    const calls = redisCalls(relative, fs.readFileSync(file, 'utf8'), commands);
    if (calls.length > 0) found[relative] = calls;
  }
  return found;
}

describe('Redis commands are sent only by the owner of their key family', () => {
  it('no file outside the owners sends one', () => {
    expect(callsOutsideOwners(repoRoot, { ...REDIS_OWNERS, ...REDIS_CALLS_PENDING })).toEqual({});
  });

  it('every listed file exists and still sends commands (a stale entry would allow a newcomer of that name)', () => {
    const commands = redisCommandNames();
    const idle = Object.keys({ ...REDIS_OWNERS, ...REDIS_CALLS_PENDING }).filter((relative) => {
      const file = path.join(repoRoot, relative);
      return !fs.existsSync(file) || redisCalls(relative, fs.readFileSync(file, 'utf8'), commands).length === 0;
    });
    expect(idle).toEqual([]);
  });

  it('finds the calls it is meant to find (a service calling redis.* directly fails the check)', () => {
    const commands = redisCommandNames();
    const service = `
      export class Service {
        constructor(private readonly deps: { redis: Redis }, private readonly cache: Map<string, string>) {}
        async run(redis: Redis) {
          await this.deps.redis.sismember('k', 'v');
          await redis.multi().srem('a', 'b').srem('c', 'd').exec();
          await (this.deps.redis as unknown as Redis).hmget('h', 'f');
          this.cache.get('not redis');
          redis.disconnect();
        }
      }`;
    expect(redisCalls('service.ts', service, commands)).toEqual([
      '5 redis.sismember',
      '6 redis.exec',
      '6 redis.srem',
      '6 redis.srem',
      '6 redis.multi',
      '7 redis.hmget',
    ]);
  });
});
