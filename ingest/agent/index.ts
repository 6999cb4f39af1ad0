/**
 * The shipper agent's public surface. The agent imports only lib/ and this folder, so that it can ship as a small
 * bundle of its own; test fixtures (testing.ts) and the throughput script are not part of it.
 */
export { type Agent, type AgentOptions, type AgentStats, type FileStatus, startAgent } from './agent.ts';
export { type AgentCliOptions, agentMain } from './cli.ts';
export {
  type AgentConfig,
  AgentConfigSchema,
  type FileInputConfig,
  type HeartbeatConfig,
  loadAgentConfig,
  type MultilineConfig,
  type OutputConfig,
  parseAgentConfig,
  type StdinInputConfig,
  type SyslogInputConfig,
} from './config.ts';
export { DEFAULT_REGISTRY } from './enroll.ts';
export { type HeartbeatBody, type HeartbeatInput } from './heartbeat.ts';
export { AGENT_VERSION } from './version.ts';
