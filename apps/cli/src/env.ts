import { z } from 'zod';

/** The CLI's defaults; flags override them. */
const cliEnvSchema = z.object({
  AUDIO_INDEX_API: z.string().url().default('http://127.0.0.1:8080'),
  AUDIO_INDEX_API_KEY: z.string().optional(),
});

export type CliEnv = z.infer<typeof cliEnvSchema>;

export function loadCliEnv(env: NodeJS.ProcessEnv = process.env): CliEnv {
  return cliEnvSchema.parse(Object.fromEntries(Object.entries(env).filter(([, value]) => value !== '')));
}
