/**
 * Ranked, typo-tolerant filtering of what the browser already holds (the live tail's buffer, Discover's field
 * list) with FlexSearch, which is built for exactly this: small collections, ranked results. Exact prefix
 * matches rank first; then the misspelt ones a phonetic encoding still finds ("timout" → "timeout").
 */
import { Charset, Index } from 'flexsearch';

export class QuickFilter {
  private readonly exact = new Index({ tokenize: 'forward', encoder: Charset.Normalize });
  private readonly tolerant = new Index({ tokenize: 'forward', encoder: Charset.LatinExtra });
  private readonly ids = new Set<number>();

  add(id: number, text: string): void {
    this.exact.add(id, text);
    this.tolerant.add(id, text);
    this.ids.add(id);
  }

  remove(id: number): void {
    if (!this.ids.delete(id)) return;
    this.exact.remove(id);
    this.tolerant.remove(id);
  }

  get size(): number {
    return this.ids.size;
  }

  /** Ids matching `q`, best first, at most `limit`. */
  search(q: string, limit: number): number[] {
    const text = q.trim();
    if (text === '') return [];
    const out = new Set<number>();
    for (const id of this.exact.search(text, { limit, suggest: false }) as number[]) out.add(id);
    if (out.size < limit) {
      for (const id of this.tolerant.search(text, { limit, suggest: true }) as number[]) {
        out.add(id);
        if (out.size >= limit) break;
      }
    }
    return [...out];
  }
}
