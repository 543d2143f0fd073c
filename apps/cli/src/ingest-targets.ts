import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CliError, ExitCode } from './exit-codes.ts';

export interface IngestItem {
  url: string;
  id?: string;
  metadata?: Record<string, unknown>;
}

export type IngestPlan = { kind: 'items'; items: IngestItem[] } | { kind: 'source'; source: string };

/** Extensions treated as audio when walking a directory (anything ffmpeg decodes). */
const AUDIO_EXTENSIONS = new Set(['.wav', '.mp3', '.flac', '.ogg', '.oga', '.opus', '.m4a', '.aac', '.aif', '.aiff', '.wma', '.webm', '.mka']);

/**
 * Turns `ingest` arguments into one request body: an `s3://` prefix becomes a bulk `source`
 * (listed by the workers page by page); URLs, directories and files of URLs become items.
 *
 * Directory files are sent as `file://` URLs: the workers read them only when the
 * directory lies under their FILE_ROOT (their guard, not this CLI, decides), so nothing on
 * the machine is exposed beyond what the operator configured.
 */
export async function planIngest(targets: readonly string[]): Promise<IngestPlan> {
  const sources = targets.filter((target) => target.startsWith('s3://'));
  if (sources.length > 0) {
    if (targets.length > 1) throw new CliError('an s3:// prefix must be the only ingest target', ExitCode.USAGE);
    return { kind: 'source', source: sources[0]!.endsWith('/') ? sources[0]! : `${sources[0]}/` };
  }
  const items: IngestItem[] = [];
  for (const target of targets) {
    if (/^https?:\/\//i.test(target) || target.startsWith('file://')) {
      items.push({ url: target });
      continue;
    }
    const stat = await fs.stat(target).catch(() => undefined);
    if (!stat) throw new CliError(`${target} is neither a URL nor an existing file or directory`, ExitCode.USAGE);
    if (stat.isDirectory()) items.push(...(await audioFilesUnder(target)));
    else items.push(...(await readUrlList(target)));
  }
  if (items.length === 0) throw new CliError('nothing to ingest', ExitCode.USAGE);
  return { kind: 'items', items };
}

async function audioFilesUnder(directory: string): Promise<IngestItem[]> {
  const root = await fs.realpath(directory);
  const entries = await fs.readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && AUDIO_EXTENSIONS.has(path.extname(entry.name).toLowerCase()))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort()
    .map((file) => ({
      url: pathToFileURL(file).href,
      // The path inside the directory is a stable, readable id that survives re-ingesting.
      id: path.relative(root, file),
      metadata: { file: path.relative(root, file) },
    }));
}

/** One URL per line, or JSON lines `{url, id?, metadata?}`; blank lines and `#` comments skipped. */
async function readUrlList(file: string): Promise<IngestItem[]> {
  const text = await fs.readFile(file, 'utf8');
  const items: IngestItem[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('{')) {
      try {
        items.push(JSON.parse(line) as IngestItem);
      } catch {
        throw new CliError(`${file}:${index + 1}: not valid JSON`, ExitCode.USAGE);
      }
    } else items.push({ url: line });
  }
  return items;
}
