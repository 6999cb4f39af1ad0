/**
 * The shipper agent's public surface. The agent imports only lib/ and this folder, so that it can ship as a small
 * bundle of its own; test fixtures (testing.ts) and the throughput script are not part of it.
 */
export { type Agent, type AgentOptions, type AgentStats, type FileStatus, startAgent } from './agent.ts';
export { agentMain } from './cli.ts';
export {
  type AgentConfig,
  AgentConfigSchema,
  type FileInputConfig,
  loadAgentConfig,
  type MultilineConfig,
  type OutputConfig,
  parseAgentConfig,
  type StdinInputConfig,
  type SyslogInputConfig,
} from './config.ts';
