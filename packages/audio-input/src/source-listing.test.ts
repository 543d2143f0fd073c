import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listSourcePage } from './source-listing.ts';

describe('listSourcePage on a directory under FILE_ROOT', () => {
  let root: string;
  const files = ['a.wav', 'b/c.wav', 'b/d/e.wav', 'b/d/f.wav', 'b/g.wav', 'h.wav', 'i/j.wav'];

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'listing-'));
    for (const file of files) {
      fs.mkdirSync(path.dirname(path.join(root, 'archive', file)), { recursive: true });
      fs.writeFileSync(path.join(root, 'archive', file), 'x');
    }
    fs.mkdirSync(path.join(root, 'archive', 'empty'));
    fs.symlinkSync('/etc/hostname', path.join(root, 'archive', 'b', 'link.wav'));
    fs.symlinkSync('/etc', path.join(root, 'archive', 'etc'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('pages through nested files in a stable order, skipping symlinks', async () => {
    const source = pathToFileURL(path.join(root, 'archive')).href + '/';
    const listed: string[] = [];
    const cursors: (string | undefined)[] = [];
    let cursor: string | undefined;
    do {
      const page = await listSourcePage(source, cursor, 2, { fileRoot: root });
      expect(page.urls.length).toBeLessThanOrEqual(2);
      listed.push(...page.urls);
      cursor = page.nextCursor;
      cursors.push(cursor);
    } while (cursor);
    expect(listed).toEqual(files.map((file) => pathToFileURL(path.join(fs.realpathSync(root), 'archive', file)).href));
    expect(cursors).toEqual(['b/c.wav', 'b/d/f.wav', 'h.wav', undefined]);
  });

  it('refuses a directory outside FILE_ROOT, and any directory without one', async () => {
    await expect(listSourcePage('file:///etc/', undefined, 10, { fileRoot: root })).rejects.toMatchObject({ code: 'FETCH_FORBIDDEN_ADDRESS' });
    await expect(listSourcePage(pathToFileURL(root).href, undefined, 10, {})).rejects.toMatchObject({ code: 'UNSUPPORTED_SCHEME' });
    await expect(listSourcePage(pathToFileURL(path.join(root, 'nope')).href, undefined, 10, { fileRoot: root })).rejects.toMatchObject({
      code: 'FETCH_NOT_FOUND',
    });
  });
});
