import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ApiClient } from './api-client.ts';
import { asCliError, assertReadableFile, debugTrace } from './cli-failure.ts';
import { activateCommand, collectionsCommand, deleteCollectionCommand, reindexCommand, snapshotsCommand, statusCommand } from './commands/admin-commands.ts';
import { doctorCommand } from './commands/doctor-command.ts';
import { importCommand } from './commands/import-command.ts';
import { ingestCommand } from './commands/ingest-command.ts';
import { searchCommand } from './commands/search-command.ts';
import { serveCommand, type ServeRole } from './commands/serve-command.ts';
import { loadCliEnv, loadDoctorEnv } from './env.ts';
import { ExitCode } from './exit-codes.ts';

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('must be a positive integer');
  return parsed;
}

/** Parses argv, runs one command, and returns its exit code (never throws). */
export async function runCli(argv: string[]): Promise<number> {
  const env = loadCliEnv();
  const program = new Command('audio-index')
    .description('Search large audio archives by similarity.')
    .option('--api <url>', 'API base URL (env AUDIO_INDEX_API)', env.AUDIO_INDEX_API)
    .option('--key <key>', 'bearer API key (env AUDIO_INDEX_API_KEY)', env.AUDIO_INDEX_API_KEY)
    .option('--json', 'print machine-readable JSON', false)
    .option('--debug', 'print stack traces with errors', false)
    .exitOverride()
    .showHelpAfterError();
  const api = () => {
    const options = program.opts<{ api: string; key?: string }>();
    return new ApiClient({ baseUrl: options.api, apiKey: options.key });
  };
  const json = () => program.opts<{ json: boolean }>().json;
  let exitCode: number = ExitCode.OK;

  program
    .command('serve')
    .description('run api, worker, indexer or all three in this process (configuration from the environment)')
    .addArgument(new Command().createArgument('<role>', 'api | worker | indexer | all').choices(['api', 'worker', 'indexer', 'all']))
    .action(async (role: ServeRole) => serveCommand(role));

  program
    .command('ingest')
    .description('ingest audio: a directory (walked for audio files), a file of URLs, an s3://bucket/prefix/, or URLs')
    .argument('<targets...>')
    .option('-c, --collection <name>', 'collection (default: the API default)')
    .option('-w, --wait', 'wait until every item is indexed or failed, showing progress', false)
    .addOption(new Option('--timeout <seconds>', 'give up waiting after this long').argParser(positiveInteger).default(3600))
    .action(async (targets: string[], options: { collection?: string; wait: boolean; timeout: number }) => {
      exitCode = await ingestCommand(api(), targets, { ...options, json: json() });
    });

  program
    .command('import')
    .description('import precomputed embeddings: a .npy float32 matrix or a Faiss IndexFlatIP file, with their ids')
    .argument('<vectors>', '.npy (rows x dim) or .faiss')
    .requiredOption('--ids <file>', 'ids, one per line (.txt) or JSON lines {id, url?, metadata?} (.jsonl), in row order')
    .option('-c, --collection <name>', 'collection', 'default')
    .action(async (vectors: string, options: { ids: string; collection: string }) => {
      exitCode = await importCommand(api(), vectors, { ...options, json: json() });
    });

  program
    .command('search')
    .description('rank the collection by similarity to an audio file or URL')
    .argument('<file-or-url>')
    .option('-c, --collection <name>', 'collection')
    .addOption(new Option('-k, --k <count>', 'results').argParser(positiveInteger).default(10))
    .action(async (query: string, options: { collection?: string; k: number }) => {
      if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(query)) await assertReadableFile(query);
      exitCode = await searchCommand(api(), query, { ...options, json: json() });
    });

  program
    .command('status')
    .description("show a batch's progress and failures")
    .argument('<batchId>')
    .action(async (batchId: string) => {
      exitCode = await statusCommand(api(), batchId, json());
    });

  program
    .command('collections')
    .description('list collections')
    .action(async () => {
      exitCode = await collectionsCommand(api(), json());
    });

  program
    .command('snapshots')
    .description("list a collection's snapshot versions")
    .argument('<collection>')
    .action(async (collection: string) => {
      exitCode = await snapshotsCommand(api(), collection, json());
    });

  program
    .command('activate')
    .description('serve an older snapshot version again (rollback)')
    .argument('<collection>')
    .argument('<version>')
    .action(async (collection: string, version: string) => {
      exitCode = await activateCommand(api(), collection, version, json());
    });

  program
    .command('delete-collection')
    .description('delete a collection: its snapshots, batches and stream (the indexer removes them)')
    .argument('<collection>')
    .action(async (collection: string) => {
      exitCode = await deleteCollectionCommand(api(), collection, json());
    });

  program
    .command('doctor')
    .description('check Node, Redis, the store, ffmpeg, the model, Faiss, BLAS, CUDA and the API, each with the fix')
    .action(async () => {
      exitCode = await doctorCommand(api(), loadDoctorEnv(), { json: json(), apiKey: program.opts<{ key?: string }>().key });
    });

  program
    .command('reindex')
    .description('re-embed a collection (all items, or those missing), optionally with another model')
    .argument('<collection>')
    .addOption(new Option('--mode <mode>', 'all | missing').choices(['all', 'missing']).default('all'))
    .option('--model <model>', 'model card path or built-in name')
    .action(async (collection: string, options: { mode: string; model?: string }) => {
      exitCode = await reindexCommand(api(), collection, options.mode, options.model, json());
    });

  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    const failure = asCliError(error);
    if (json()) console.log(JSON.stringify({ error: { code: failure.code ?? 'CLI_ERROR', message: failure.message } }));
    else console.error(`audio-index: ${failure.message}`);
    if (program.opts<{ debug: boolean }>().debug || argv.includes('--debug')) console.error(debugTrace(failure));
    return failure.exitCode;
  }
}
