export { ApiError } from './api-error.ts';
export { API_MINIMUM_VERSION, API_TOPICS } from './api-facts.ts';
export { ERROR_CODES } from './error-codes.ts';
export type { FaultHandle, FaultSpec } from './faults.ts';
export type { RandomBytes } from './ids.ts';
export type { RecordedRequest, RequestFilter } from './request-log.ts';
export { DEMO_API_KEY, DEMO_WORKSPACE, SAMPLE_WEBHOOKS, SEED_WEBHOOK_IDS } from './seed.ts';
export { type RunningSimulator, type StartSimulatorOptions, startSimulator } from './server.ts';
export {
  createSimulator,
  FeaturebaseSimulator,
  type SimulatorApiKey,
  type SimulatorOptions,
} from './simulator.ts';
