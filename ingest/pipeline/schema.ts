import { z } from 'zod';
import { INDEX_NAME_RE, parseConfig } from '../../lib/config.ts';
import { MAX_QUERY_LENGTH, parseQuery } from '../../indexer/index.ts';
import { compileGrok } from './grok/grok.ts';
import { parseTemplate } from './processors/template.ts';
import { parseTime } from './timestamp.ts';

/**
 * A pipeline definition, as a user writes it and as the node stores it: a list of processors, each an object with
 * exactly one key naming its type (`{"grok": {…}}`), in the order they run. Validation is strict (unknown keys are
 * errors naming their path) and compiles every pattern and query once, so that a definition that passes here
 * cannot fail to build a Pipeline. Defaults are filled in, so a stored definition shows what will run.
 */

/** Definitions longer than this are refused: every processor costs time on every record. */
export const MAX_PROCESSORS = 100;
/** Grok patterns, their definitions and redact patterns: longer ones are refused. */
export const MAX_PATTERN_BYTES = 4096;
const MAX_NAME_LENGTH = 256;

/** What a processor does with a record it fails on. */
export const OnFailureSchema = z.enum(['reject', 'keep', 'drop']);
export type OnFailure = z.infer<typeof OnFailureSchema>;

/** Keys a record may not carry as fields (lib/record.ts): the time is the record's `ts`, the others describe hits. */
const NOT_FIELDS = new Map([
  ['@timestamp', '"@timestamp" is the record\'s time, not a field: use a timestamp processor to set it'],
  ['_id', '"_id" describes a hit, not a field of the record'],
  ['_index', '"_index" describes a hit, not a field of the record: use a route processor to pick the index'],
  ['__proto__', '"__proto__" cannot be a field name'],
]);

const FieldName = z
  .string()
  .min(1, 'a field name must not be empty')
  .max(MAX_NAME_LENGTH)
  .superRefine((name, ctx) => {
    const why = NOT_FIELDS.get(name);
    if (why !== undefined) ctx.addIssue({ code: 'custom', message: why });
  });
const FieldList = z.array(FieldName).min(1, 'name at least one field').max(MAX_PROCESSORS);

const Query = z
  .string()
  .max(MAX_QUERY_LENGTH)
  .superRefine((q, ctx) => {
    try {
      parseQuery(q);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `invalid query: ${(e as Error).message}` });
    }
  });

const Pattern = z
  .string()
  .min(1, 'a pattern must not be empty')
  .refine((p) => Buffer.byteLength(p) <= MAX_PATTERN_BYTES, `a pattern may be at most ${MAX_PATTERN_BYTES} bytes`);

/** Where parsed keys go: "" merges them into the record's root, a name puts them under `name.` as dotted keys. */
const Target = z.string().max(MAX_NAME_LENGTH).default('');


// Every processor takes `if`: a Strata query the record must match for the processor to run (skipped records
// pass on unchanged). Only processors that can fail take `on_failure`; its default is per type, chosen so that a
// parser that does not recognise a line keeps it as it came, while a bad timestamp (which would misplace the record
// in time) is refused.

const JsonOptions = z
  .object({
    /** The field holding JSON object text. */
    field: FieldName.default('message'),
    target: Target,
    if: Query.optional(),
    /** Fails when the field is missing, not a string, not JSON, or JSON but not an object. */
    on_failure: OnFailureSchema.default('keep'),
  })
  .strict();

const LogfmtOptions = z
  .object({
    field: FieldName.default('message'),
    target: Target,
    if: Query.optional(),
    /** Fails when the field is missing or not a string, a quote is unterminated, or no `key=value` pair is found. */
    on_failure: OnFailureSchema.default('keep'),
  })
  .strict();

const Separator = z.string().min(1, 'a separator must not be empty').max(16);
const KvOptions = z
  .object({
    field: FieldName.default('message'),
    /** Literal text between pairs (not a regex); runs of it count as one. */
    field_split: Separator.default(' '),
    /** Literal text between a key and its value; the first occurrence in a pair splits it. */
    value_split: Separator.default('='),
    target: Target,
    if: Query.optional(),
    /** As logfmt. */
    on_failure: OnFailureSchema.default('keep'),
  })
  .strict()
  .refine((o) => !o.field_split.includes(o.value_split) && !o.value_split.includes(o.field_split), {
    message: 'field_split and value_split must differ, and neither may contain the other',
    path: ['value_split'],
  });

const PATTERN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const GrokOptions = z
  .object({
    field: FieldName.default('message'),
    /** Tried in order; the first that matches wins. */
    patterns: z.array(Pattern).min(1, 'give at least one pattern').max(32),
    /** Extra named patterns for `%{NAME}` references, on top of the built-in library. */
    pattern_definitions: z.record(z.string(), Pattern).default({}),
    if: Query.optional(),
    /** Fails when the field is missing or not a string, or no pattern matches. */
    on_failure: OnFailureSchema.default('keep'),
  })
  .strict()
  .superRefine((o, ctx) => {
    let names = true;
    for (const name of Object.keys(o.pattern_definitions)) {
      if (PATTERN_NAME.test(name)) continue;
      ctx.addIssue({ code: 'custom', message: 'a pattern name is letters, digits and _, not starting with a digit', path: ['pattern_definitions', name] });
      names = false;
    }
    if (!names) return;
    o.patterns.forEach((p, i) => {
      try {
        compileGrok(p, o.pattern_definitions);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message, path: ['patterns', i] });
      }
    });
  });

const TimestampOptions = z
  .object({
    field: FieldName,
    /** Tried in order: `auto`, a named format (`iso8601`, `syslog`, `epoch_ms`, …) or a pattern (`yyyy-MM-dd HH:mm:ss`). */
    formats: z.array(z.string().min(1).max(MAX_NAME_LENGTH)).min(1).max(16).default(['auto']),
    /** For times written without an offset; UTC when absent. */
    timezone: z.string().min(1).max(64).optional(),
    /** Remove the source field once its time is taken. */
    remove: z.boolean().default(false),
    if: Query.optional(),
    /** Fails when the field is missing or matches none of the formats. */
    on_failure: OnFailureSchema.default('reject'),
  })
  .strict()
  .superRefine((o, ctx) => {
    // A bad pattern or zone throws on any value, so one call with a dummy value checks each, once, here.
    const check = (format: string, timezone: string | undefined, path: (string | number)[]) => {
      try {
        parseTime('0', format, { timezone, nowMs: 0 });
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message, path });
      }
    };
    if (o.timezone !== undefined) check('epoch_ms', o.timezone, ['timezone']);
    o.formats.forEach((f, i) => check(f, undefined, ['formats', i]));
  });

const RenameOptions = z
  .object({
    field: FieldName,
    /** Overwritten when it exists. */
    to: FieldName,
    if: Query.optional(),
    /** Fails when the field is missing; by default the record then passes on as it is. */
    on_failure: OnFailureSchema.default('keep'),
  })
  .strict()
  .refine((o) => o.field !== o.to, { message: 'renaming a field to itself does nothing', path: ['to'] });

const RemoveOptions = z
  .object({
    /** Missing ones are ignored. */
    fields: FieldList,
    if: Query.optional(),
  })
  .strict();

const SetOptions = z
  .object({
    field: FieldName,
    /** A string may reference fields as `{{name}}` (`{{@timestamp}}` is the time in ISO 8601). */
    value: z.union([z.string().max(MAX_PATTERN_BYTES), z.number(), z.boolean()]),
    /** When false, a field that already exists is left as it is. */
    override: z.boolean().default(true),
    if: Query.optional(),
    /** Fails when the value references a field the record lacks; by default the field is then not set. */
    on_failure: OnFailureSchema.default('keep'),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (typeof o.value !== 'string') return;
    try {
      parseTemplate(o.value);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message, path: ['value'] });
    }
  });

const DropIfOptions = z
  .object({
    /** Records matching it are dropped (counted, not stored, not an error). */
    query: Query,
    if: Query.optional(),
  })
  .strict();

const RedactOptions = z
  .object({
    /** String fields to redact; others are left alone. */
    fields: FieldList,
    /** A JavaScript regular expression; every match is replaced by `mask`. */
    pattern: Pattern.superRefine((p, ctx) => {
      let re: RegExp;
      try {
        re = new RegExp(p);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${(e as Error).message}` });
        return;
      }
      if (re.test('')) ctx.addIssue({ code: 'custom', message: 'the pattern matches the empty string, so it would mask between every character' });
    }),
    mask: z.string().max(MAX_NAME_LENGTH).default('[redacted]'),
    if: Query.optional(),
  })
  .strict();

const CaseOptions = z
  .object({
    /** String fields to change; others are left alone. */
    fields: FieldList,
    if: Query.optional(),
  })
  .strict();

export const CONVERT_TYPES = ['integer', 'float', 'string', 'boolean'] as const;
const ConvertOptions = z
  .object({
    field: FieldName,
    /** `boolean` accepts true/false/yes/no/1/0 in any case; `integer` accepts only whole numbers. */
    type: z.enum(CONVERT_TYPES),
    if: Query.optional(),
    /** Fails when the field is missing or its value does not convert; by default it then keeps its value. */
    on_failure: OnFailureSchema.default('keep'),
  })
  .strict();

const RouteOptions = z
  .object({
    /** The index records go to instead of the one the request named. */
    index: z.string().regex(INDEX_NAME_RE, "an index name is lower-case letters, digits, '.', '_' and '-', starting with a letter or digit"),
    if: Query.optional(),
  })
  .strict();

const OPTIONS = {
  json: JsonOptions,
  logfmt: LogfmtOptions,
  kv: KvOptions,
  grok: GrokOptions,
  timestamp: TimestampOptions,
  rename: RenameOptions,
  remove: RemoveOptions,
  set: SetOptions,
  drop_if: DropIfOptions,
  redact: RedactOptions,
  lowercase: CaseOptions,
  uppercase: CaseOptions,
  convert: ConvertOptions,
  route: RouteOptions,
} as const;

export type ProcessorType = keyof typeof OPTIONS;
export const PROCESSOR_TYPES = Object.keys(OPTIONS) as ProcessorType[];
export type ProcessorOptions<K extends ProcessorType> = z.output<(typeof OPTIONS)[K]>;
/** One processor: an object whose single key is its type. */
export type ProcessorDef = { [K in ProcessorType]: { [P in K]: ProcessorOptions<K> } }[ProcessorType];

export interface PipelineDef {
  description?: string;
  processors: ProcessorDef[];
}

const ProcessorSchema = z
  .object(Object.fromEntries(PROCESSOR_TYPES.map((t) => [t, OPTIONS[t].optional()])) as { [K in ProcessorType]: z.ZodOptional<(typeof OPTIONS)[K]> })
  .strict()
  .superRefine((o, ctx) => {
    const keys = Object.keys(o).filter((k) => (o as Record<string, unknown>)[k] !== undefined);
    if (keys.length === 1) return;
    ctx.addIssue({
      code: 'custom',
      message:
        keys.length === 0
          ? `a processor is an object with one key, its type: one of ${PROCESSOR_TYPES.join(', ')}`
          : `a processor has exactly one type, this one has ${keys.join(' and ')}: write each as its own processor`,
    });
  });

// The schema's inferred type has every processor key optional; the refinement above guarantees exactly one, which
// is what ProcessorDef says.
export const PipelineDefSchema = z
  .object({
    description: z.string().max(4096).optional(),
    processors: z.array(ProcessorSchema).max(MAX_PROCESSORS, `a pipeline has at most ${MAX_PROCESSORS} processors`),
  })
  .strict() as unknown as z.ZodType<PipelineDef>;

/** Validates a definition; throws StrataError('invalid_config') naming each bad path (`processors.2.grok.patterns.0`). */
export function parsePipelineDef(input: unknown): PipelineDef {
  return parseConfig(PipelineDefSchema, input, 'pipeline definition');
}

/** The type of one processor definition. */
export function processorType(p: ProcessorDef): ProcessorType {
  for (const k in p) return k as ProcessorType;
  throw new Error('unreachable: a validated processor has one key');
}
