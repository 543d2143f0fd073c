import { CliError, ExitCode } from './exit-codes.ts';

export interface ApiClientOptions {
  baseUrl: string;
  apiKey: string | undefined;
}

/** The CLI's only way to the system: the public HTTP API, exactly as any client uses it. */
export class ApiClient {
  constructor(private readonly options: ApiClientOptions) {}

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
      throw new CliError(`cannot reach the API at ${this.options.baseUrl}: ${(error as Error).message}`, ExitCode.API_ERROR, 'API_UNREACHABLE');
    }
    const text = await response.text();
    const answer = text ? (JSON.parse(text) as T & { error?: { code: string; message: string } }) : ({} as T & { error?: undefined });
    if (!response.ok) {
      const code = answer.error?.code ?? `HTTP_${response.status}`;
      throw new CliError(`${code}: ${answer.error?.message ?? response.statusText}`, ExitCode.API_ERROR, code);
    }
    return answer;
  }
}
