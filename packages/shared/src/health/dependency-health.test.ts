import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { DependencyHealth } from './dependency-health.ts';

/** A registry on a clock the test moves, logging (at debug and up) into `lines`. */
function registry() {
  let now = 1_000_000;
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  });
  const health = new DependencyHealth(() => now);
  health.useLogger(pino({ level: 'debug' }, sink));
  return { health, lines, advance: (ms: number) => (now += ms) };
}
const WARN = 40;
const INFO = 30;
const DEBUG = 20;

describe('DependencyHealth', () => {
  it('logs a relapse just after a recovery at debug, and an outage after that as one again', async () => {
    const { health, lines, advance } = registry();
    health.failed('store', 'api', new Error('connect ECONNREFUSED'));
    advance(6_500);
    health.recovered('store', 'api');
    advance(40); // a restarted S3 answering 500 once while it loads
    health.failed('store', 'api', new Error('We encountered an internal error'));
    expect(health.isUp('store')).toBe(false);
    advance(56);
    health.recovered('store', 'api');
    advance(6_000);
    health.failed('store', 'api', new Error('connect ECONNREFUSED'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map(({ level, msg }) => [level, msg.replace(/ \(.*$/, '')])).toEqual([
      [WARN, 'store unreachable'],
      [INFO, 'store reachable again after 6.5 s'],
      [DEBUG, 'store unreachable again just after coming back'],
      [DEBUG, 'store reachable again after 0.1 s'],
      [WARN, 'store unreachable'],
    ]);
  });

  it('warns about a relapse that lasts until a reminder, and logs its end', async () => {
    const { health, lines, advance } = registry();
    health.failed('redis', 'queue', new Error('ECONNREFUSED'));
    advance(1_000);
    health.recovered('redis', 'queue');
    advance(100);
    health.failed('redis', 'queue', new Error('ECONNREFUSED'));
    advance(31_000);
    health.failed('redis', 'queue', new Error('ECONNREFUSED'));
    advance(1_000);
    health.recovered('redis', 'queue');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map(({ level, msg }) => [level, msg.replace(/ \(.*$/, '')])).toEqual([
      [WARN, 'redis unreachable'],
      [INFO, 'redis reachable again after 1.0 s'],
      [DEBUG, 'redis unreachable again just after coming back'],
      [WARN, 'redis still unreachable after 31 s'],
      [INFO, 'redis reachable again after 32 s'],
    ]);
  });
});
