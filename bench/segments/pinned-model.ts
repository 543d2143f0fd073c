import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CACHE_DIRECTORY } from './cache-directory.ts';

/**
 * The model the bench embeds with. `git:<rev>` (the default, `git:HEAD`) is the shipped
 * model as committed at that revision, copied out of git into the cache: the working tree's
 * models/default can be mid-change while the bench runs, and the sweep and the end-to-end
 * run must use the same bytes. Anything else is passed on as it is (a built-in name or a
 * card path). Returns what to give `createEmbedder({model})` or MODEL, and a description.
 */
export function resolveModel(argument: string): { model: string; description: string } {
  if (!argument.startsWith('git:')) return { model: argument, description: `\`${argument}\`` };
  const revision = argument.slice(4) || 'HEAD';
  const commit = execFileSync('git', ['log', '-1', '--format=%H', revision, '--', 'models/default'], { encoding: 'utf8' }).trim();
  if (!commit) throw new Error(`no commit of models/default at ${revision}`);
  const directory = join(CACHE_DIRECTORY, 'models', commit.slice(0, 12));
  if (!existsSync(join(directory, 'card.json'))) {
    const building = `${directory}.building`;
    mkdirSync(building, { recursive: true });
    // Every file, not only card.json and model.onnx: a card with `sharedFrames` also names its front end and head.
    const files = execFileSync('git', ['ls-tree', '--name-only', commit, 'models/default/'], { encoding: 'utf8' }).trim().split('\n');
    for (const path of files) {
      writeFileSync(join(building, basename(path)), execFileSync('git', ['show', `${commit}:${path}`], { maxBuffer: 1 << 30 }));
    }
    renameSync(building, directory);
  }
  return { model: join(directory, 'card.json'), description: `models/default as committed in ${commit.slice(0, 10)}` };
}
