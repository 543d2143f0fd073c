import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';

/** What a script may be sent: keys and arguments as ioredis takes them. */
export type LuaValue = string | Buffer | number;

type ScriptingRedis = Redis & Record<string, ((...args: LuaValue[]) => Promise<unknown>) | undefined>;

/**
 * One Lua script from its own `.lua` file (docs/redis-keys.md lists them with the keys they
 * touch). The file opens with a block comment naming every key and argument:
 *
 *     --[[
 *       What the script does.
 *       KEYS[1] the batch hash
 *       KEYS[2..] one batch hash per credit       <- a variable key count
 *       ARGV[1] the marker's TTL (s)
 *     ]]
 *
 * A line `--- @include "name"` is replaced by `lua/includes/name.lua` of this package: Lua
 * helpers several scripts share (the "batch is done" rule), written once.
 *
 * The number of keys comes from that header (the highest `KEYS[n]`, or "variable" when a
 * `KEYS[n..]` line is present), so a script and its caller cannot silently disagree on
 * where keys end and arguments begin: `run` refuses a call with another key count. Scripts
 * are registered on a connection on first use with ioredis' `defineCommand`, which sends
 * EVALSHA and falls back to EVAL when the server answers NOSCRIPT (after a restart or a
 * failover); the command name is the file's name, so names are unique per process.
 */
export class LuaScript {
  /** The ioredis command name: the file name in camelCase (`record-embedded.lua` -> `recordEmbedded`). */
  readonly name: string;
  /** `undefined`: the key count varies and is sent first (ioredis' convention for such scripts). */
  readonly numberOfKeys: number | undefined;

  private constructor(
    readonly file: string,
    readonly source: string,
  ) {
    this.name = basename(file, '.lua').replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
    this.numberOfKeys = keyCountOf(source, file);
  }

  /** Reads `url` (`new URL('./lua/x.lua', import.meta.url)`: found from tsx, worker threads and the image alike). */
  static fromFile(url: URL): LuaScript {
    const file = fileURLToPath(url);
    return new LuaScript(file, withIncludes(readFileSync(file, 'utf8'), file));
  }

  /** Runs the script with replies decoded as UTF-8 strings. */
  run(redis: Redis, keys: readonly string[], args: readonly LuaValue[] = []): Promise<unknown> {
    return this.call(redis, this.name, keys, args);
  }

  /** Runs the script with replies as Buffers (binary stream fields). */
  runBuffer(redis: Redis, keys: readonly string[], args: readonly LuaValue[] = []): Promise<unknown> {
    return this.call(redis, `${this.name}Buffer`, keys, args);
  }

  private call(redis: Redis, method: string, keys: readonly string[], args: readonly LuaValue[]): Promise<unknown> {
    if (this.numberOfKeys !== undefined && keys.length !== this.numberOfKeys) {
      throw new Error(`${basename(this.file)} takes ${this.numberOfKeys} keys, was given ${keys.length}`);
    }
    const scripting = redis as ScriptingRedis;
    if (typeof scripting[this.name] !== 'function') {
      redis.defineCommand(this.name, { lua: this.source, ...(this.numberOfKeys === undefined ? {} : { numberOfKeys: this.numberOfKeys }) });
    }
    const command = scripting[method] as (...values: LuaValue[]) => Promise<unknown>;
    return this.numberOfKeys === undefined ? command.call(redis, keys.length, ...keys, ...args) : command.call(redis, ...keys, ...args);
  }
}

const INCLUDES = new URL('./lua/includes/', import.meta.url);

function withIncludes(source: string, file: string, seen: readonly string[] = []): string {
  return source.replace(/^--- @include "([a-z0-9-]+)"$/gm, (_, name: string) => {
    if (seen.includes(name)) throw new Error(`${basename(file)}: include cycle through ${name}`);
    const included = fileURLToPath(new URL(`${name}.lua`, INCLUDES));
    return withIncludes(readFileSync(included, 'utf8'), included, [...seen, name]);
  });
}

function keyCountOf(source: string, file: string): number | undefined {
  const header = /^\s*--\[\[([\s\S]*?)\]\]/.exec(source);
  if (!header?.[1]) throw new Error(`${basename(file)}: no --[[ ... ]] header naming its KEYS and ARGV`);
  if (/KEYS\[\d+\.\.\]/.test(header[1])) return undefined;
  const declared = [...header[1].matchAll(/KEYS\[(\d+)\]/g)].map((match) => Number(match[1]));
  return declared.length === 0 ? 0 : Math.max(...declared);
}
