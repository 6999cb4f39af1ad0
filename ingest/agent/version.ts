/**
 * The agent's version, sent in its heartbeat. It follows package.json's (a test holds them equal); a constant
 * rather than a read of package.json because the single-file bundle has no package.json beside it.
 */
export const AGENT_VERSION = '0.1.0';
