'use client';
import { useState } from 'react';
import type { FieldValue, Hit } from '../../lib/client/index.ts';
import { valueText } from '../format.ts';

const FIELD_NAME = /^[A-Za-z_@][A-Za-z0-9_.@\-]*$/;

function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      className="btn small"
      aria-label={label}
      onClick={async (e) => {
        e.stopPropagation();
        try {
          await navigator.clipboard.writeText(text);
          setDone(true);
          setTimeout(() => setDone(false), 1200);
        } catch {
          /* clipboard refused (insecure context): nothing to do */
        }
      }}
    >
      {done ? 'Copied' : 'Copy'}
    </button>
  );
}

/** A hit's fields as a table and as JSON, each with copy buttons, filter buttons per value, and context. */
export function HitDetails({ hit, onFilter, onContext }: { hit: Hit; onFilter(field: string, v: FieldValue, negate: boolean): void; onContext(): void }) {
  const [tab, setTab] = useState<'table' | 'json'>('table');
  const json = JSON.stringify(hit, null, 2);
  const entries = Object.entries(hit).sort(([a], [b]) => (a === '@timestamp' ? -1 : b === '@timestamp' ? 1 : a === 'message' ? -1 : b === 'message' ? 1 : a.localeCompare(b)));
  return (
    <div className="details" data-testid="hit-details">
      <div className="tabs" role="tablist" aria-label="Record view">
        <button className="btn small" role="tab" aria-selected={tab === 'table'} onClick={() => setTab('table')}>
          Table
        </button>
        <button className="btn small" role="tab" aria-selected={tab === 'json'} onClick={() => setTab('json')}>
          JSON
        </button>
        <span style={{ flex: 1 }} />
        <button className="btn small" onClick={onContext}>
          View surrounding lines
        </button>
        <CopyButton text={json} label="Copy the record's JSON" />
      </div>
      {tab === 'table' ? (
        <table role="table" aria-label="Record fields">
          <tbody>
            {entries.map(([k, v]) => (
              <tr key={k}>
                <td className="k">{k}</td>
                <td className="v">{valueText(v)}</td>
                <td className="a">
                  {FIELD_NAME.test(k) && !k.startsWith('_') && k !== '@timestamp' && (
                    <>
                      <button className="btn icon small" aria-label={`Filter for ${k}: ${valueText(v)}`} onClick={() => onFilter(k, v, false)}>
                        +
                      </button>
                      <button className="btn icon small" aria-label={`Filter out ${k}: ${valueText(v)}`} onClick={() => onFilter(k, v, true)}>
                        −
                      </button>
                    </>
                  )}
                  <CopyButton text={valueText(v)} label={`Copy value of ${k}`} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <pre aria-label="Record as JSON">{json}</pre>
      )}
    </div>
  );
}
