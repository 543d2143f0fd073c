import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { LuaScript } from '@audio-index/shared';
import { closeAll, connectTestRedis, uniqueName } from '../harness/test-services.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');

function luaFiles(directory: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules' && !entry.name.startsWith('.')) found.push(...luaFiles(full));
    else if (entry.name.endsWith('.lua')) found.push(full);
  }
  return found;
}

function tsFiles(directory: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules' && !entry.name.startsWith('.')) found.push(...tsFiles(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) found.push(full);
  }
  return found;
}

/**
 * The Lua scripts (docs/redis-keys.md, "Lua scripts"): each in a file of its own with a
 * KEYS/ARGV header, loaded by exactly one owner through LuaScript, which survives a Redis
 * that forgot its scripts and refuses a call whose key count disagrees with the header.
 */
describe('Lua scripts in .lua files, loaded by one loader', () => {
  const redis = connectTestRedis();

  afterAll(async () => {
    await closeAll();
  });

  it('every script has a header and exactly one owner file that loads it', () => {
    const sources = ['apps', 'packages'].flatMap((root) => tsFiles(path.join(repoRoot, root))).map((file) => ({ file, text: fs.readFileSync(file, 'utf8') }));
    const scripts = ['apps', 'packages']
      .flatMap((root) => luaFiles(path.join(repoRoot, root)))
      .filter((file) => !file.includes(`${path.sep}includes${path.sep}`));
    expect(scripts.length).toBeGreaterThanOrEqual(13);
    const problems: string[] = [];
    for (const script of scripts) {
      const relative = path.relative(repoRoot, script);
      // Parses the header (throws without one) and counts its keys.
      LuaScript.fromFile(pathToFileURL(script));
      const loaders = sources.filter(({ text }) => text.includes(`LuaScript.fromFile(new URL('./lua/${path.basename(script)}'`));
      if (loaders.length !== 1) problems.push(`${relative}: loaded by ${loaders.length} files`);
    }
    expect(problems).toEqual([]);
  });

  it('runs again after the server forgot its scripts (NOSCRIPT: EVALSHA falls back to EVAL)', async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'lua-'));
    const file = path.join(directory, `${uniqueName('echo-count')}.lua`);
    fs.writeFileSync(file, "--[[\n  Test script.\n  KEYS[1] a counter\n  ARGV[1] the step\n]]\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])\n");
    const script = LuaScript.fromFile(pathToFileURL(file));
    expect(script.numberOfKeys).toBe(1);
    const key = uniqueName('lua-counter');
    expect(await script.run(redis, [key], [2])).toBe(2);
    await redis.script('FLUSH');
    expect(await script.run(redis, [key], [3])).toBe(5);
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('refuses a call with another key count than the header names, and a file without a header', () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'lua-'));
    const good = path.join(directory, 'two-keys.lua');
    fs.writeFileSync(good, '--[[\n  KEYS[1] one\n  KEYS[2] two\n]]\nreturn 1\n');
    expect(() => LuaScript.fromFile(pathToFileURL(good)).run(redis, ['only-one'])).toThrow('two-keys.lua takes 2 keys, was given 1');
    const bare = path.join(directory, 'bare.lua');
    fs.writeFileSync(bare, 'return 1\n');
    expect(() => LuaScript.fromFile(pathToFileURL(bare))).toThrow('bare.lua: no --[[ ... ]] header naming its KEYS and ARGV');
    fs.rmSync(directory, { recursive: true, force: true });
  });
});
