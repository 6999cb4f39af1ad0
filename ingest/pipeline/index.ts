/** The ingest pipeline's public surface: definitions, their validation, and the compiled pipeline that runs them. */
export {
  PipelineDefSchema,
  parsePipelineDef,
  type PipelineDef,
  type ProcessorDef,
  type ProcessorType,
  type ProcessorOptions,
  type OnFailure,
  PROCESSOR_TYPES,
  MAX_PROCESSORS,
  MAX_PATTERN_BYTES,
} from './schema.ts';
export {
  Pipeline,
  type PipelineOutput,
  type PipelineStats,
  type StageStats,
  type ProcessorStats,
  type RunOptions,
  type SimulateResult,
  type SimulateStep,
  type SimulateOutcome,
  type SimulatedRecord,
} from './pipeline.ts';
export { type Stage, STAGES } from './processors/processor.ts';
export { parseLogfmt, PairParser, type PairValue } from './parsers.ts';
export { compileGrok, type Grok } from './grok/grok.ts';
export { parseTime } from './timestamp.ts';
