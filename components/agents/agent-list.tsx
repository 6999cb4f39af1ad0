'use client';
import { useEffect, useState } from 'react';
import type { AgentInfo } from '../../lib/client/index.ts';
import { client } from '../session/browser-client.ts';
import { formatCount } from '../format.ts';
import { useMay } from '../session/session.tsx';
import { EnrollmentTokens } from './enrollment-tokens.tsx';

const REFRESH_MS = 5000;

function ago(iso: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 60 ? `${s} s ago` : s < 3600 ? `${Math.floor(s / 60)} min ago` : s < 86_400 ? `${Math.floor(s / 3600)} h ago` : `${Math.floor(s / 86_400)} d ago`;
}

function bytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : n < 1 << 30 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / (1 << 30)).toFixed(2)} GiB`;
}

function inputsText(a: AgentInfo): string {
  return a.inputs.map((i) => (i.paths ? `${i.type} ${i.paths.join(', ')}` : i.listen ? `${i.type} ${i.protocol ?? ''} ${i.listen}`.replace(/\s+/g, ' ') : i.type)).join('; ');
}

/** The agents that report to the node: who, where, what they read, how they are doing. Refreshed every 5 s. */
export function AgentList() {
  const [agents, setAgents] = useState<AgentInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const mayManage = useMay('manage_agents');
  useEffect(() => {
    let live = true;
    const load = () =>
      client.agents().then(
        (a) => {
          if (!live) return;
          setAgents(a);
          setError(null);
          setNow(Date.now());
        },
        (e: Error) => live && setError(e.message),
      );
    void load();
    const t = setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, []);

  const counts = { healthy: 0, degraded: 0, stale: 0 };
  for (const a of agents ?? []) counts[a.health]++;
  return (
    <div className="agents">
      <div className="summary">
        <span className="count" data-testid="agent-count">
          {agents === null ? 'Loading agents…' : `${formatCount(agents.length)} ${agents.length === 1 ? 'agent' : 'agents'}`}
        </span>
        {agents !== null && (
          <span className="muted">
            {counts.healthy} healthy · {counts.degraded} degraded · {counts.stale} stale
          </span>
        )}
      </div>
      {error && (
        <div className="state error" role="alert">
          {error}
        </div>
      )}
      {agents?.length === 0 && (
        <div className="state">
          <h2>No agent has reported yet</h2>
          Agents appear here with their first heartbeat: <code>strata agent --config agent.yaml</code>.
        </div>
      )}
      {agents !== null && agents.length > 0 && (
        <table className="grid" aria-label="Agents">
          <thead>
            <tr>
              <th>Health</th>
              <th>Name</th>
              <th>Host</th>
              <th>Version</th>
              <th>Inputs</th>
              <th className="num">Lines read</th>
              <th className="num">Shipped</th>
              <th className="num">Dropped</th>
              <th className="num">Lag</th>
              <th>Last seen</th>
            </tr>
          </thead>
          <tbody>
            {agents.map((a) => (
              <tr key={a.id} data-testid="agent-row">
                <td>
                  <span className={`health ${a.health}`}>{a.health}</span>
                </td>
                <td>
                  <strong>{a.name}</strong>
                  {a.last_error && (
                    <div className="muted small" title={a.last_error}>
                      {a.last_error}
                    </div>
                  )}
                </td>
                <td>{a.host}</td>
                <td className="mono">{a.version}</td>
                <td className="mono small">{inputsText(a)}</td>
                <td className="num">{formatCount(a.stats.lines_read)}</td>
                <td className="num">{formatCount(a.stats.records_shipped)}</td>
                <td className="num">{formatCount(a.stats.records_dropped)}</td>
                <td className="num">{bytes(a.stats.lag_bytes)}</td>
                <td title={a.last_seen}>{ago(a.last_seen, now)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {mayManage && <EnrollmentTokens />}
    </div>
  );
}
