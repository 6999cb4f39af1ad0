import type { Piece } from './match-terms.ts';

/** Pieces of text with their matches in <mark>: text nodes only, so log content can never become markup. */
export function Marked({ pieces }: { pieces: Piece[] }) {
  return (
    <>
      {pieces.map((p, i) => (typeof p === 'string' ? p : <mark key={i}>{p.mark}</mark>))}
    </>
  );
}
