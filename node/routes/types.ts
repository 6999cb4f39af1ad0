import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine } from '../engine.ts';
import type { Access, Principal, Security } from '../security/index.ts';

/** A route's work, given who asks (the anonymous principal on public routes). */
export type Handler = (req: IncomingMessage, res: ServerResponse, params: string[], url: URL, who: Principal) => Promise<void>;

export interface Route {
  method: string;
  pattern: RegExp;
  /**
   * Who may call it. Required: a route cannot be added without saying, and the endpoint matrix test fails for a
   * route it has no row for.
   */
  access: Access;
  handler: Handler;
  /** The endpoint label of an ingest route: its failed requests are counted in the metrics too. */
  endpoint?: string;
  /** Answers errors in the protocol's own shape instead of Strata's JSON error. */
  onError?: (res: ServerResponse, err: unknown) => boolean;
}

export interface RouteContext {
  engine: Engine;
  security: Security;
  log: (m: string) => void;
}
