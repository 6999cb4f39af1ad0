import { type DecodedBatch, emptyBatch, fieldsOf, pushRecord, type RejectCode, type Rejection } from '../batch.ts';
import { type FieldValue, type Fields, normalizeObject, textRecord } from '../../lib/record.ts';
import { type PipelineDef, type ProcessorType, parsePipelineDef } from './schema.ts';
import { compilePipeline, type RouteRule } from './processors/compile.ts';
import { CHANGED, DROP, FAILED, type Processor, type Stage, STAGES, UNCHANGED, Work } from './processors/processor.ts';
import { checkRecord, FITS, NO_FIELDS } from './processors/validate.ts';

/**
 * A named, compiled pipeline: the chain decode → parse → enrich → validate → route, after decoding.
 *
 * Parse and enrich processors run in the order the definition lists them, whatever their stage: a definition may
 * well rename a field before parsing it. A processor's stage only labels its counters and its steps in a simulation.
 * Validation then runs on every remaining record, and route processors last, in their listed order wherever they
 * stand in the list: the first whose `if` matches (or that has none) names the index, else the request's index.
 *
 * A batch runs processor by processor rather than record by record: each processor's loop stays monomorphic, and
 * its time is taken once per batch instead of twice per record.
 */

export interface PipelineOutput {
  /** Records to store, by index, in request order; `pos` is each record's position in the request. */
  batches: Map<string, DecodedBatch>;
  /** Positions of records a processor dropped: not stored, and not errors. */
  dropped: number[];
  /** The input batch's rejections and the pipeline's, by position. */
  rejected: Rejection[];
}

/** Counters of one stage or processor. For each: in = out + dropped + rejected (summed over codes). */
export interface StageStats {
  in: number;
  /**
   * Records it let through. For a stage: records that reached one of its processors and were not dropped or
   * rejected by one of them (a record rejected later, by another stage, still counts as out of this one).
   */
  out: number;
  dropped: number;
  rejected: Partial<Record<RejectCode, number>>;
  /** Time spent, in nanoseconds. */
  ns: number;
}

export interface ProcessorStats extends StageStats {
  /** Its index in the definition's processors. */
  position: number;
  type: ProcessorType;
  stage: Stage;
  /** Records its `if` did not match (counted as out); for a route, records it did not claim. */
  skipped: number;
  /** Records it failed on, whatever `on_failure` then did (`keep` counts them as out). */
  failed: number;
}

export interface PipelineStats {
  pipeline: string;
  stages: Record<Stage, StageStats>;
  /** In definition order. */
  processors: ProcessorStats[];
}

/** A record as a person reads it: `@timestamp` in ISO 8601 first, then the fields. */
export type SimulatedRecord = Record<string, FieldValue>;

/** What one processor (or the built-in validate stage) did to one document. */
export interface SimulateStep {
  processor: ProcessorType | 'validate';
  /** Its index in the definition's processors; absent for validate. */
  position?: number;
  stage: Stage;
  /** The record after this step, when it goes on. */
  record?: SimulatedRecord;
  /** Its `if` did not match. */
  skipped?: true;
  dropped?: true;
  /** Why it failed; with `record` the record went on unchanged (`on_failure: keep`). */
  error?: string;
  /** For a route: whether it claimed the record, and the index it names. */
  matched?: boolean;
  index?: string;
}

export type SimulateOutcome = { index: string; record: SimulatedRecord } | { dropped: true } | { rejected: string; code: RejectCode };

export interface SimulateResult {
  docs: { steps: SimulateStep[]; outcome: SimulateOutcome }[];
}

export interface RunOptions {
  /** The request's ingest time: records without a time got it, and parsers read years and `auto` with it. */
  nowMs: number;
  maxRecordBytes: number;
}

const STAGE_BIT: Record<Stage, number> = { parse: 1, enrich: 2, validate: 4, route: 8 };
const ALIVE = 0;
const GONE = 1;
/** Values longer than this are cut in rejection reasons. */
const MAX_REASON_VALUE = 100;

class Counter {
  in = 0;
  out = 0;
  dropped = 0;
  rejected: Partial<Record<RejectCode, number>> = {};
  ns = 0;
  skipped = 0;
  failed = 0;

  reject(code: RejectCode): void {
    this.rejected[code] = (this.rejected[code] ?? 0) + 1;
  }

  stage(): StageStats {
    return { in: this.in, out: this.out, dropped: this.dropped, rejected: { ...this.rejected }, ns: this.ns };
  }
}

export class Pipeline {
  readonly def: PipelineDef;
  private readonly processors: Processor[];
  private readonly routes: RouteRule[];
  private readonly stageCounters: Record<Stage, Counter> = {
    parse: new Counter(),
    enrich: new Counter(),
    validate: new Counter(),
    route: new Counter(),
  };
  private readonly processorCounters: Counter[];
  private readonly routeCounters: Counter[];
  /** Loaded with each record in turn; run and simulate are synchronous, so one is enough. */
  private readonly work = new Work();

  /** Validates the definition again (a stored one may predate a rule) and compiles it; throws StrataError('invalid_config'). */
  constructor(
    readonly name: string,
    def: PipelineDef,
  ) {
    this.def = parsePipelineDef(def);
    const c = compilePipeline(this.def);
    this.processors = c.processors;
    this.routes = c.routes;
    this.processorCounters = this.processors.map(() => new Counter());
    this.routeCounters = this.routes.map(() => new Counter());
  }

  /**
   * Runs a decoded batch; `index` is the index the request named. The batch is consumed: its records' field
   * objects are changed in place (or replaced in `batch.fields`) and handed on in the output, so nothing is copied
   * for records that pass as they came.
   */
  run(batch: DecodedBatch, index: string, opts: RunOptions): PipelineOutput {
    const n = batch.ts.length;
    const ts = batch.ts.slice();
    // Records a decoder did not keep (null) are parsed first: processors change the objects in place.
    for (let i = 0; i < batch.fields.length; i++) fieldsOf(batch, i);
    const fields = batch.fields as Fields[];
    const state = new Uint8Array(n);
    const changed = new Uint8Array(n);
    const reached = new Uint8Array(n);
    const dropped: number[] = [];
    const rejected: Rejection[] = [];
    const w = this.work;
    w.nowMs = opts.nowMs;

    for (let k = 0; k < this.processors.length; k++) {
      const p = this.processors[k];
      const c = this.processorCounters[k];
      const sc = this.stageCounters[p.stage];
      const bit = STAGE_BIT[p.stage];
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) {
        if (state[i] !== ALIVE) continue;
        if ((reached[i] & bit) === 0) {
          reached[i] |= bit;
          sc.in++;
        }
        c.in++;
        if (p.cond !== null && !p.cond(ts[i], fields[i])) {
          c.skipped++;
          c.out++;
          continue;
        }
        w.ts = ts[i];
        w.fields = fields[i];
        let r = applySafely(p, w);
        ts[i] = w.ts;
        if (r === THREW) {
          // It may have changed some fields before it threw: the stored text must be written again.
          changed[i] = 1;
          r = FAILED;
        }
        if (r === UNCHANGED || r === CHANGED) {
          if (r === CHANGED) {
            changed[i] = 1;
            fields[i] = w.fields;
          }
          c.out++;
          continue;
        }
        if (r === FAILED) {
          c.failed++;
          if (p.onFailure === 'keep') {
            c.out++;
            continue;
          }
          if (p.onFailure === 'reject') {
            c.reject(p.failCode);
            sc.reject(p.failCode);
            rejected.push({ line: batch.pos[i], code: p.failCode, reason: failureReason(p, w) });
            this.creditOut(reached[i], bit);
            state[i] = GONE;
            continue;
          }
        }
        // drop_if matched, or a failure with on_failure: drop.
        c.dropped++;
        sc.dropped++;
        dropped.push(batch.pos[i]);
        this.creditOut(reached[i], bit);
        state[i] = GONE;
      }
      c.ns += Number(process.hrtime.bigint() - t0);
    }

    const vc = this.stageCounters.validate;
    let t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      if (state[i] !== ALIVE) continue;
      vc.in++;
      reached[i] |= STAGE_BIT.validate;
      const v = checkRecord(fields[i], changed[i] === 1 ? null : batch.fieldsJson[i], opts.maxRecordBytes);
      if (v === FITS) continue;
      const code: RejectCode = v === NO_FIELDS ? 'invalid_field' : 'oversize';
      vc.reject(code);
      rejected.push({ line: batch.pos[i], code, reason: validationReason(v, opts.maxRecordBytes) });
      this.creditOut(reached[i], STAGE_BIT.validate);
      state[i] = GONE;
    }
    vc.ns += Number(process.hrtime.bigint() - t0);

    const rc = this.stageCounters.route;
    const batches = new Map<string, DecodedBatch>();
    let lastIndex = '';
    let last: DecodedBatch | undefined;
    t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      if (state[i] !== ALIVE) continue;
      rc.in++;
      const target = this.routeOf(ts[i], fields[i], index, true);
      if (target !== lastIndex || last === undefined) {
        last = batches.get(target);
        if (last === undefined) batches.set(target, (last = emptyBatch()));
        lastIndex = target;
      }
      pushRecord(last, batch.pos[i], ts[i], fields[i], changed[i] === 1 ? null : batch.fieldsJson[i]);
      this.creditOut(reached[i] | STAGE_BIT.route, 0);
    }
    rc.ns += Number(process.hrtime.bigint() - t0);

    // Processors reject in turn, so the pipeline's own rejections need sorting too.
    const all = batch.rejected.length === 0 ? rejected : batch.rejected.concat(rejected);
    if (rejected.length > 0) all.sort((a, b) => a.line - b.line);
    return { batches, dropped, rejected: all };
  }

  /**
   * What each document would become, processor by processor, storing nothing and counting nothing. Documents are
   * JSON objects (as NDJSON lines arrive) or strings (as text lines arrive).
   */
  simulate(docs: unknown[], index: string, opts: RunOptions): SimulateResult {
    return { docs: docs.map((d) => this.simulateOne(d, index, opts)) };
  }

  /** Counters since the pipeline was built, as plain numbers (a copy). */
  stats(): PipelineStats {
    const stages = {} as Record<Stage, StageStats>;
    for (const s of STAGES) stages[s] = this.stageCounters[s].stage();
    // A stage's time is its processors' time plus its own (validate and route run outside any processor).
    this.processors.forEach((p, k) => (stages[p.stage].ns += this.processorCounters[k].ns));
    const processors: ProcessorStats[] = [];
    this.processors.forEach((p, k) => processors.push(processorStats(p.position, p.type, p.stage, this.processorCounters[k])));
    this.routes.forEach((r, k) => processors.push(processorStats(r.position, 'route', 'route', this.routeCounters[k])));
    processors.sort((a, b) => a.position - b.position);
    return { pipeline: this.name, stages, processors };
  }

  /** The first route that claims the record, else the request's index. */
  private routeOf(ts: number, fields: Fields, index: string, count: boolean): string {
    for (let r = 0; r < this.routes.length; r++) {
      const rule = this.routes[r];
      const matched = rule.cond === null || rule.cond(ts, fields);
      if (count) {
        const c = this.routeCounters[r];
        c.in++;
        c.out++;
        if (!matched) c.skipped++;
      }
      if (matched) return rule.index;
    }
    return index;
  }

  /** A record leaves the pipeline: every stage it went through but `except` let it through. */
  private creditOut(mask: number, except: number): void {
    if (mask & 1 && except !== 1) this.stageCounters.parse.out++;
    if (mask & 2 && except !== 2) this.stageCounters.enrich.out++;
    if (mask & 4 && except !== 4) this.stageCounters.validate.out++;
    if (mask & 8 && except !== 8) this.stageCounters.route.out++;
  }

  private simulateOne(doc: unknown, index: string, opts: RunOptions): SimulateResult['docs'][number] {
    const steps: SimulateStep[] = [];
    const w = this.work;
    w.nowMs = opts.nowMs;
    let text: string;
    if (typeof doc === 'string') {
      text = doc;
      const r = textRecord(doc, opts.nowMs);
      w.ts = r.ts;
      w.fields = r.fields;
    } else if (typeof doc === 'object' && doc !== null && !Array.isArray(doc)) {
      text = JSON.stringify(doc);
      const r = normalizeObject(doc as Record<string, unknown>, opts.nowMs);
      w.ts = r.ts;
      w.fields = r.fields;
    } else {
      return { steps, outcome: { rejected: 'expected a JSON object or a text line', code: 'not_an_object' } };
    }
    // Decoding refuses such a line before any pipeline sees it.
    const inBytes = text.length * 3 <= opts.maxRecordBytes ? 0 : Buffer.byteLength(text);
    if (inBytes > opts.maxRecordBytes) {
      return { steps, outcome: { rejected: `record is ${inBytes} bytes, over the limit of ${opts.maxRecordBytes}`, code: 'oversize' } };
    }

    for (const p of this.processors) {
      const step: SimulateStep = { processor: p.type, position: p.position, stage: p.stage };
      steps.push(step);
      if (p.cond !== null && !p.cond(w.ts, w.fields)) {
        step.skipped = true;
        step.record = view(w.ts, w.fields);
        continue;
      }
      const r = applySafely(p, w);
      if (r === UNCHANGED || r === CHANGED) {
        step.record = view(w.ts, w.fields);
        continue;
      }
      if (r === DROP) {
        step.dropped = true;
        return { steps, outcome: { dropped: true } };
      }
      const reason = failureReason(p, w);
      step.error = reason;
      if (p.onFailure === 'keep') {
        step.record = view(w.ts, w.fields);
      } else if (p.onFailure === 'drop') {
        step.dropped = true;
        return { steps, outcome: { dropped: true } };
      } else {
        return { steps, outcome: { rejected: reason, code: p.failCode } };
      }
    }

    const v = checkRecord(w.fields, null, opts.maxRecordBytes);
    if (v !== FITS) {
      const reason = validationReason(v, opts.maxRecordBytes);
      steps.push({ processor: 'validate', stage: 'validate', error: reason });
      return { steps, outcome: { rejected: reason, code: v === NO_FIELDS ? 'invalid_field' : 'oversize' } };
    }
    steps.push({ processor: 'validate', stage: 'validate', record: view(w.ts, w.fields) });

    let target = index;
    for (const rule of this.routes) {
      const matched = rule.cond === null || rule.cond(w.ts, w.fields);
      steps.push({ processor: 'route', position: rule.position, stage: 'route', matched, index: rule.index });
      if (matched) {
        target = rule.index;
        break;
      }
    }
    return { steps, outcome: { index: target, record: view(w.ts, w.fields) } };
  }
}

/** Returned by applySafely when the processor threw. */
const THREW = -1;

/**
 * A processor that throws (a user's regular expression can exhaust the backtracking stack on a long value) fails
 * on that record only, and `on_failure` decides, rather than failing the whole request.
 */
function applySafely(p: Processor, w: Work): number {
  try {
    return p.apply(w);
  } catch (e) {
    w.fail(`stopped on an error: ${e instanceof Error ? e.message : String(e)}`);
    return THREW;
  }
}

function processorStats(position: number, type: ProcessorType, stage: Stage, c: Counter): ProcessorStats {
  return { position, type, stage, ...c.stage(), skipped: c.skipped, failed: c.failed };
}

function view(ts: number, fields: Fields): SimulatedRecord {
  return { '@timestamp': new Date(ts).toISOString(), ...fields };
}

/** `processors[2] (grok): field "message" does not match the pattern: "GET /x HTTP/1.1 …"` */
function failureReason(p: Processor, w: Work): string {
  let reason = `processors[${p.position}] (${p.type}): ${w.failure}`;
  const v = w.failValue;
  if (v !== undefined) {
    reason += ': ' + (typeof v === 'string' ? JSON.stringify(v.length > MAX_REASON_VALUE ? v.slice(0, MAX_REASON_VALUE) + '…' : v) : String(v));
  }
  return reason;
}

function validationReason(v: number, maxRecordBytes: number): string {
  return v === NO_FIELDS
    ? 'the record has no fields left after the pipeline'
    : `the record is ${v} bytes after the pipeline, over the limit of ${maxRecordBytes}`;
}
