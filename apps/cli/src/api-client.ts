import { CliError, ExitCode } from './exit-codes.ts';

export interface ApiClientOptions {
  baseUrl: string;
  apiKey: string | undefined;
}

interface ErrorAnswer {
  error?: { code: string; message: string };
}

/** The CLI's only way to the system: the public HTTP API, exactly as any client uses it. */
export class ApiClient {
  constructor(private readonly options: ApiClientOptions) {}

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  async json<T>(method: string, route: string, body?: unknown): Promise<T> {
    return this.send<T>(method, route, body === undefined ? undefined : JSON.stringify(body), 'application/json');
  }

  async send<T>(method: string, route: string, body: string | Uint8Array | undefined, contentType?: string): Promise<T> {
    const headers: Record<string, string> = {};
    if (contentType && body !== undefined) headers['content-type'] = contentType;
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    let response: Response;
    try {
      response = await fetch(new URL(route, this.options.baseUrl), { method, headers, body });
    } catch (error) {
      throw this.unreachable(error);
    }
    const text = await response.text();
    let answer: T & ErrorAnswer;
    try {
      answer = (text ? JSON.parse(text) : {}) as T & ErrorAnswer;
    } catch (error) {
      throw new CliError(
        `the server at ${this.options.baseUrl} answered HTTP ${response.status} with something other than JSON: is --api (or AUDIO_INDEX_API) pointing at an audio-index API?`,
        ExitCode.API_UNREACHABLE,
        'NOT_AN_AUDIO_INDEX_API',
        { cause: error },
      );
    }
    if (!response.ok) throw this.refused(response.status, answer, route);
    return answer;
  }

  private unreachable(error: unknown): CliError {
    // undici's "fetch failed" hides the reason in its cause (ECONNREFUSED, ENOTFOUND, ...).
    const cause = (error as Error).cause as NodeJS.ErrnoException | undefined;
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    return new CliError(
      `cannot reach the API at ${this.options.baseUrl} (${reason}): start it (\`npm start\` or \`audio-index serve all\`), or point --api / AUDIO_INDEX_API at where it runs`,
      ExitCode.API_UNREACHABLE,
      'API_UNREACHABLE',
      { cause: error },
    );
  }

  private refused(status: number, answer: ErrorAnswer, route: string): CliError {
    const code = answer.error?.code ?? `HTTP_${status}`;
    const message = answer.error?.message ?? `HTTP ${status}`;
    if (status === 401) {
      const fix = this.options.apiKey
        ? "the key given was refused: pass one of the API's API_KEYS with --key or AUDIO_INDEX_API_KEY"
        : 'the API needs a key: pass --key <key> or set AUDIO_INDEX_API_KEY';
      return new CliError(`${code}: ${fix}`, ExitCode.UNAUTHORIZED, code);
    }
    if (code === 'COLLECTION_NOT_FOUND')
      return new CliError(`${code}: ${message} (\`audio-index collections\` lists the collections; ingest creates one)`, ExitCode.API_ERROR, code);
    if (code === 'BATCH_NOT_FOUND')
      return new CliError(`${code}: ${message} (batch ids are printed by \`audio-index ingest\`; finished batches expire)`, ExitCode.API_ERROR, code);
    if (code === 'NOT_READY' || status === 503)
      return new CliError(`${code}: ${message} (the API or one of its dependencies is not ready: \`audio-index doctor\` says which)`, ExitCode.API_ERROR, code);
    if (status === 404 && !answer.error)
      return new CliError(`${code}: ${route} does not exist on ${this.options.baseUrl}: is it an audio-index API of this version?`, ExitCode.API_ERROR, code);
    return new CliError(`${code}: ${message}`, ExitCode.API_ERROR, code);
  }
}
