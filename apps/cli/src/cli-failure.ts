import fs from 'node:fs/promises';
import { CliError, ExitCode } from './exit-codes.ts';

/**
 * Checks a local input before a command reads it, so the failure names the path (Node's
 * EISDIR from a read carries none).
 */
export async function assertReadableFile(file: string): Promise<void> {
  try {
    const stat = await fs.stat(file);
    if (stat.isDirectory()) throw Object.assign(new Error(`EISDIR: ${file}`), { code: 'EISDIR', path: file });
    await fs.access(file, fs.constants.R_OK);
  } catch (error) {
    throw asCliError(error);
  }
}

/**
 * Every failure as one line that names the cause and the fix. Errors the commands raise on
 * purpose are CliErrors already; what reaches here otherwise is mostly a local file problem
 * (Node's errno errors carry the code and path) or a bug.
 */
export function asCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  const errno = error as NodeJS.ErrnoException;
  const file = errno?.path;
  if (error instanceof Error && typeof errno.code === 'string' && file) {
    const cause = { cause: error };
    switch (errno.code) {
      case 'ENOENT':
        return new CliError(
          `no such file: ${file} (check the path; a URL needs its scheme, e.g. https:// or file://)`,
          ExitCode.USAGE,
          'FILE_NOT_FOUND',
          cause,
        );
      case 'EISDIR':
        return new CliError(
          `${file} is a directory, not a file (pass one audio file; \`audio-index ingest <directory>\` walks directories)`,
          ExitCode.USAGE,
          'IS_A_DIRECTORY',
          cause,
        );
      case 'ENOTDIR':
        return new CliError(`${file}: a part of the path is a file, not a directory (check the path)`, ExitCode.USAGE, 'NOT_A_DIRECTORY', cause);
      case 'EACCES':
      case 'EPERM':
        return new CliError(
          `cannot read ${file}: permission denied (check its permissions, or run as a user who may read it)`,
          ExitCode.USAGE,
          'PERMISSION_DENIED',
          cause,
        );
      default:
        return new CliError(`${file}: ${errno.code} (${error.message})`, ExitCode.USAGE, errno.code, cause);
    }
  }
  if (errno?.code === 'EISDIR')
    return new CliError('a directory was given where a file was expected (pass one file)', ExitCode.USAGE, 'IS_A_DIRECTORY', { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new CliError(
    `unexpected error: ${message} (a bug in audio-index; run again with --debug for the stack trace to report)`,
    ExitCode.INTERNAL,
    'INTERNAL',
    { cause: error },
  );
}

/** The stack of the error and of each cause, for `--debug`. */
export function debugTrace(error: CliError): string {
  const lines: string[] = [];
  let current: unknown = error.cause ?? error;
  while (current) {
    lines.push(current instanceof Error ? (current.stack ?? current.message) : String(current));
    current = current instanceof Error ? current.cause : undefined;
    if (current) lines.push('caused by:');
  }
  return lines.join('\n');
}
