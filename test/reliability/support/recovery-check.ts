import fs from 'node:fs';
import path from 'node:path';
import { auditLatestSnapshot } from '../../support/snapshot-audit.ts';
import type { BatchStatus, ProcessSystem } from '../../support/process-system.ts';
import { toneClip, wavBytes } from '../../worker/support/wav-audio.ts';

/** `count` short distinct tones as WAV files, `clip-<n>.wav`; names returned in order. */
export function writeToneFiles(directory: string, count: number, seconds = 0.25): string[] {
  fs.mkdirSync(directory, { recursive: true });
  return Array.from({ length: count }, (_, index) => {
    const name = `clip-${index}.wav`;
    fs.writeFileSync(path.join(directory, name), wavBytes(toneClip(index + 1, seconds)));
    return name;
  });
}

export interface RecoveryReport {
  accepted: number;
  indexed: number;
  failed: number;
  /** Accepted ids neither in the snapshot nor reported failed. */
  lost: string[];
  /** Ids with more than one visible row. */
  doubled: string[];
  /** Ids both reported failed and visible in the snapshot. */
  failedButIndexed: string[];
  /** Failures by code, e.g. {FETCH_FAILED: 2}. */
  failureCodes: Record<string, number>;
  /** Batches whose `indexed`/`failed`/`total` disagree with the snapshot and the failures list. */
  counterMismatches: string[];
  brokenShards: string[];
  snapshotVersion: number | undefined;
}

/**
 * After a fault: waits for every batch to be done, then holds the snapshot LATEST points at
 * against what was accepted. An id counts as indexed once it is visible in the snapshot, as
 * failed once its batch lists it with a code; anything else is lost.
 */
export async function checkRecovery(
  system: Pick<ProcessSystem, 'waitForBatch' | 'store'>,
  collection: string,
  batches: { batchId: string; ids: string[] }[],
  timeoutMs = 120_000,
): Promise<RecoveryReport> {
  const statuses: BatchStatus[] = [];
  for (const batch of batches) statuses.push(await system.waitForBatch(batch.batchId, timeoutMs));
  // `done` counts what the indexer committed; the snapshot with it may still be on its way to
  // this API, but the audit below reads the store directly.
  const audit = await auditLatestSnapshot(system.store, collection);
  const report: RecoveryReport = {
    accepted: 0,
    indexed: 0,
    failed: 0,
    lost: [],
    doubled: audit.doubled,
    failedButIndexed: [],
    failureCodes: {},
    counterMismatches: [],
    brokenShards: audit.brokenShards,
    snapshotVersion: audit.manifest?.version,
  };
  batches.forEach((batch, index) => {
    const status = statuses[index]!;
    const failed = new Map(status.failures.map((failure) => [failure.id, failure.code]));
    let visible = 0;
    for (const id of batch.ids) {
      report.accepted += 1;
      const rows = audit.rowsById.get(id) ?? 0;
      if (rows > 0) visible += 1;
      if (failed.has(id)) {
        report.failed += 1;
        report.failureCodes[failed.get(id)!] = (report.failureCodes[failed.get(id)!] ?? 0) + 1;
        if (rows > 0) report.failedButIndexed.push(id);
      } else if (rows > 0) report.indexed += 1;
      else report.lost.push(id);
    }
    if (status.total !== batch.ids.length || status.indexed !== visible || status.failed !== failed.size || status.indexed + status.failed !== status.total) {
      report.counterMismatches.push(
        `${status.batchId}: total ${status.total}/${batch.ids.length}, indexed ${status.indexed} vs ${visible} visible, failed ${status.failed} vs ${failed.size} listed`,
      );
    }
  });
  return report;
}

/**
 * Reads LATEST and its shards every `intervalMs` while a fault plays out, and keeps every
 * reading that was not loadable. Store outages are not the snapshot's fault: pause it then.
 */
export function watchLatest(system: ProcessSystem, collection: string, intervalMs = 1_000) {
  const problems: string[] = [];
  let paused = false;
  let stopped = false;
  let readings = 0;
  const loop = (async () => {
    while (!stopped) {
      if (!paused) {
        try {
          const audit = await auditLatestSnapshot(system.store, collection);
          readings += 1;
          if (audit.brokenShards.length > 0) problems.push(`v${audit.manifest?.version}: broken shards ${audit.brokenShards.join(', ')}`);
          if (audit.doubled.length > 0) problems.push(`v${audit.manifest?.version}: doubled ${audit.doubled.slice(0, 5).join(', ')}`);
        } catch (error) {
          if (!paused) problems.push(`unloadable: ${(error as Error).message}`);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    problems,
    get readings() {
      return readings;
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
    },
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

export async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 60_000, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The batch's counters, straight from Redis (works while every API replica is down). */
export async function batchCounters(
  system: ProcessSystem,
  collection: string,
  batchId: string,
): Promise<{ embedded: number; failed: number; indexed: number }> {
  const fields = await system.redis.hmget(system.keys.batch(collection, batchId), 'embedded', 'failed', 'indexed');
  const [embedded, failed, indexed] = fields.map((value) => Number(value ?? 0));
  return { embedded: embedded!, failed: failed!, indexed: indexed! };
}
