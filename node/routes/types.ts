import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine } from '../engine.ts';

export type Handler = (req: IncomingMessage, res: ServerResponse, params: string[], url: URL) => Promise<void>;

export interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
  /** The endpoint label of an ingest route: its failed requests are counted in the metrics too. */
  endpoint?: string;
  /** Answers errors in the protocol's own shape instead of Strata's JSON error. */
  onError?: (res: ServerResponse, err: unknown) => boolean;
}

export interface RouteContext {
  engine: Engine;
  log: (m: string) => void;
}
