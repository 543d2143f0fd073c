import { dependencyHealth, type DependencyHealth } from './dependency-health.ts';

/**
 * The dependency gauges in Prometheus text format, for the metrics endpoints of processes
 * whose registries do not carry them (worker, indexer: observability/metrics-endpoint.ts).
 * Same names and meaning as the API's prom-client gauges (apps/api/src/observability/api-metrics.ts),
 * so one alert covers every process; a registry must not register these names itself as well.
 */
const DEPENDENCY_UP_METRIC = 'audio_index_dependency_up';
const DEPENDENCY_STATE_SECONDS_METRIC = 'audio_index_dependency_state_seconds';

export function renderDependencyMetrics(health: DependencyHealth = dependencyHealth, now: number = Date.now()): string {
  const states = health.states();
  const lines = [
    `# HELP ${DEPENDENCY_UP_METRIC} Whether a dependency (redis, store) answers, as this process last saw it (1 up, 0 down)`,
    `# TYPE ${DEPENDENCY_UP_METRIC} gauge`,
    ...states.map((state) => `${DEPENDENCY_UP_METRIC}{dependency="${state.name}"} ${state.up ? 1 : 0}`),
    `# HELP ${DEPENDENCY_STATE_SECONDS_METRIC} Seconds the dependency has been in its current state (up or down)`,
    `# TYPE ${DEPENDENCY_STATE_SECONDS_METRIC} gauge`,
    ...states.map((state) => `${DEPENDENCY_STATE_SECONDS_METRIC}{dependency="${state.name}"} ${(now - state.since) / 1000}`),
  ];
  return `${lines.join('\n')}\n`;
}
