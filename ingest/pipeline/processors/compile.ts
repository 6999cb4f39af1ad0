import { compileMatcher, parseQuery, type RecordMatcher } from '../../../indexer/index.ts';
import type { PipelineDef, ProcessorDef } from '../schema.ts';
import {
  CaseProcessor,
  ConvertProcessor,
  DropIfProcessor,
  RedactProcessor,
  RemoveProcessor,
  RenameProcessor,
  SetProcessor,
} from './enrich.ts';
import { GrokProcessor, JsonProcessor, PairsProcessor, TimestampProcessor } from './parse.ts';
import type { Processor } from './processor.ts';

/** A route processor: the first whose `if` matches (or that has none) names the record's index. */
export interface RouteRule {
  readonly position: number;
  readonly index: string;
  readonly cond: RecordMatcher | null;
}

export interface CompiledPipeline {
  /** Parse and enrich processors, in the definition's order. */
  processors: Processor[];
  /** Route processors, in the definition's order; they run after validation wherever they stand in the list. */
  routes: RouteRule[];
}

function matcher(q: string | undefined): RecordMatcher | null {
  return q === undefined ? null : compileMatcher(parseQuery(q));
}

/** Compiles every pattern, query and template of a validated definition, once. */
export function compilePipeline(def: PipelineDef): CompiledPipeline {
  const processors: Processor[] = [];
  const routes: RouteRule[] = [];
  def.processors.forEach((p, i) => compileOne(p, i, processors, routes));
  return { processors, routes };
}

function compileOne(p: ProcessorDef, i: number, processors: Processor[], routes: RouteRule[]): void {
  if ('json' in p) processors.push(new JsonProcessor(i, p.json, matcher(p.json.if)));
  else if ('logfmt' in p) processors.push(new PairsProcessor('logfmt', i, p.logfmt, matcher(p.logfmt.if)));
  else if ('kv' in p) processors.push(new PairsProcessor('kv', i, p.kv, matcher(p.kv.if)));
  else if ('grok' in p) processors.push(new GrokProcessor(i, p.grok, matcher(p.grok.if)));
  else if ('timestamp' in p) processors.push(new TimestampProcessor(i, p.timestamp, matcher(p.timestamp.if)));
  else if ('rename' in p) processors.push(new RenameProcessor(i, p.rename, matcher(p.rename.if)));
  else if ('remove' in p) processors.push(new RemoveProcessor(i, p.remove, matcher(p.remove.if)));
  else if ('set' in p) processors.push(new SetProcessor(i, p.set, matcher(p.set.if)));
  else if ('drop_if' in p) processors.push(new DropIfProcessor(i, matcher(p.drop_if.query)!, matcher(p.drop_if.if)));
  else if ('redact' in p) processors.push(new RedactProcessor(i, p.redact, matcher(p.redact.if)));
  else if ('lowercase' in p) processors.push(new CaseProcessor('lowercase', i, p.lowercase, matcher(p.lowercase.if)));
  else if ('uppercase' in p) processors.push(new CaseProcessor('uppercase', i, p.uppercase, matcher(p.uppercase.if)));
  else if ('convert' in p) processors.push(new ConvertProcessor(i, p.convert, matcher(p.convert.if)));
  else if ('route' in p) routes.push({ position: i, index: p.route.index, cond: matcher(p.route.if) });
  else throw new Error(`unreachable: processor ${i} has no known type`);
}
