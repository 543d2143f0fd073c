import { commonEnvShape, commonOptions, modelEnvShape, modelOptions, type CommonOptions, type ModelOptions } from '@audio-index/shared';
import { z } from 'zod';

/** The CLI's defaults; flags override them. */
const cliEnvSchema = z.object({
  AUDIO_INDEX_API: z.string().url().default('http://127.0.0.1:8080'),
  AUDIO_INDEX_API_KEY: z.string().optional(),
});

export type CliEnv = z.infer<typeof cliEnvSchema>;

const withoutEmpty = (env: NodeJS.ProcessEnv) => Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));

export function loadCliEnv(env: NodeJS.ProcessEnv = process.env): CliEnv {
  return cliEnvSchema.parse(withoutEmpty(env));
}

/** What `doctor` checks: the same variables the services read, so it sees what they will. */
const doctorEnvSchema = z.object({ ...commonEnvShape, ...modelEnvShape });

/** The services' common groups and their model: what `doctor` checks. */
export interface DoctorConfig extends CommonOptions {
  model: ModelOptions;
}

export function loadDoctorEnv(env: NodeJS.ProcessEnv = process.env): DoctorConfig {
  const parsed = doctorEnvSchema.parse(withoutEmpty(env));
  return { ...commonOptions(parsed), model: modelOptions(parsed) };
}
