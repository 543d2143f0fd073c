export { startApi, type RunningApi } from './start-api.ts';
export { loadApiConfig, apiEnvSchema, type ApiConfig } from './env.ts';
export { buildApiServer } from './build-api-server.ts';
export { composeApi, type ComposedApi } from './compose-api.ts';
