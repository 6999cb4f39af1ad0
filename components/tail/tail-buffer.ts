/**
 * The live tail's bounded buffer: the newest `capacity` lines, each with a sequence number so that React keys and
 * the quick filter's ids stay stable while old lines fall off the front.
 */
import type { Hit } from '../../lib/client/index.ts';

export interface TailLine {
  seq: number;
  hit: Hit;
}

export class TailBuffer {
  private lines: TailLine[] = [];
  private nextSeq = 0;
  /** Lines that fell off the front since the start. */
  evicted = 0;

  constructor(readonly capacity: number) {}

  /** Appends hits; returns the lines evicted to make room (for whoever indexes them). */
  push(hits: readonly Hit[]): TailLine[] {
    for (const hit of hits) this.lines.push({ seq: this.nextSeq++, hit });
    const over = this.lines.length - this.capacity;
    if (over <= 0) return [];
    const gone = this.lines.splice(0, over);
    this.evicted += gone.length;
    return gone;
  }

  /** The current lines, oldest first (a new array each time, for React). */
  snapshot(): TailLine[] {
    return this.lines.slice();
  }

  get length(): number {
    return this.lines.length;
  }

  clear(): void {
    this.evicted += this.lines.length;
    this.lines = [];
  }
}

/** Lines per second over a sliding window of one-second slots. */
export class RateMeter {
  private readonly slots: number[];
  private slotStart: number;
  private at = 0;

  constructor(
    private readonly windowS = 5,
    now = Date.now(),
  ) {
    this.slots = new Array<number>(windowS).fill(0);
    this.slotStart = Math.floor(now / 1000);
  }

  private advance(now: number): void {
    const s = Math.floor(now / 1000);
    const steps = Math.min(s - this.slotStart, this.windowS);
    for (let i = 0; i < steps; i++) {
      this.at = (this.at + 1) % this.windowS;
      this.slots[this.at] = 0;
    }
    if (s > this.slotStart) this.slotStart = s;
  }

  add(n: number, now = Date.now()): void {
    this.advance(now);
    this.slots[this.at] += n;
  }

  /** The average over the completed seconds of the window. */
  perSecond(now = Date.now()): number {
    this.advance(now);
    let sum = 0;
    for (let i = 0; i < this.windowS; i++) if (i !== this.at) sum += this.slots[i];
    return sum / (this.windowS - 1);
  }
}
