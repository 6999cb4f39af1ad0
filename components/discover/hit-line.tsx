import type { Hit } from '../../lib/client/index.ts';
import { formatTimestamp, valueText } from '../format.ts';
import { markMatches, type Term } from '../text/match-terms.ts';
import { Marked } from '../text/marked.tsx';

const META = new Set(['_id', '_index', '@timestamp', 'message']);

/** The message (or, without one, the other fields as `key: value`), matched terms marked. */
export function HitSummary({ hit, terms }: { hit: Hit; terms: Term[] }) {
  if (typeof hit.message === 'string') return <Marked pieces={markMatches(hit.message, 'message', terms)} />;
  const rest = Object.entries(hit).filter(([k]) => !META.has(k));
  return (
    <>
      {rest.map(([k, v]) => (
        <span key={k} className="kv">
          <b>{k}</b>: <Marked pieces={markMatches(valueText(v), k, terms)} />{' '}
        </span>
      ))}
    </>
  );
}

/** The cells of one result row: time, the chosen columns, and the summary. */
export function HitCells({ hit, columns, terms }: { hit: Hit; columns: string[]; terms: Term[] }) {
  return (
    <>
      <span className="cell ts">{formatTimestamp(hit['@timestamp'])}</span>
      {columns.map((c) => (
        <span className="cell col" key={c} title={valueText(hit[c])}>
          <Marked pieces={markMatches(valueText(hit[c]), c, terms)} />
        </span>
      ))}
      <span className="cell msg">
        <HitSummary hit={hit} terms={terms} />
      </span>
    </>
  );
}
