import { z } from 'zod';

/**
 * The `processors:` lists of the agent's config (top level and per input): each item is an object with exactly
 * one key, the processor's name, as in `- json: { field: message }`. Patterns are JavaScript regular expressions,
 * compiled here so that a bad one is an error at config load naming its key, not a crash on the first line.
 */

/** A JavaScript regular expression, checked by compiling it. */
export const regexSource = z
  .string()
  .min(1)
  .superRefine((s, ctx) => {
    try {
      new RegExp(s);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `not a valid regular expression (JavaScript syntax): ${(e as Error).message}` });
    }
  });

/** A field name: a flat dotted key, as records keep them. */
const fieldName = z.string().min(1);

/** Field values a processor may add: what a record stores (arrays are kept as JSON text, see `tags`). */
export const FieldValuesSchema = z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean()]));

const ParseOptions = z.strictObject({
  /** The field whose text is parsed. */
  field: fieldName.default('message'),
  /** `""`: the parsed keys become the record's own (an object's `message` and `@timestamp` replace the record's); a name: under `<name>.`. */
  target: z.string().default(''),
  /** A text that does not parse: the record is kept as it is (`keep`) or dropped (`drop`); counted either way. */
  on_error: z.enum(['keep', 'drop']).default('keep'),
});

const AddFieldsOptions = z.strictObject({
  fields: FieldValuesSchema.default({}),
  /** Added to the `tags` field, a JSON array text (as the node keeps arrays), merged with tags already there. */
  tags: z.array(z.string().min(1)).default([]),
});

const DropOptions = z.strictObject({
  /** A record whose field matches is dropped (its line still counts as handled: the registry moves past it). */
  pattern: regexSource,
  field: fieldName.default('message'),
});

const RedactOptions = z.strictObject({
  /** Every match in the field is replaced. */
  pattern: regexSource,
  replacement: z.string().default('[REDACTED]'),
  field: fieldName.default('message'),
});

const PROCESSORS = {
  json: ParseOptions,
  logfmt: ParseOptions,
  add_fields: AddFieldsOptions,
  drop: DropOptions,
  redact: RedactOptions,
};
const NAMES = Object.keys(PROCESSORS).join(', ');

export const ProcessorSchema = z
  .strictObject(
    {
      json: ParseOptions.optional(),
      logfmt: ParseOptions.optional(),
      add_fields: AddFieldsOptions.optional(),
      drop: DropOptions.optional(),
      redact: RedactOptions.optional(),
    },
    { error: (iss) => (iss.code === 'unrecognized_keys' ? `unknown processor; supported: ${NAMES}` : iss.code === 'invalid_type' ? `a processor: an object with one key (${NAMES})` : undefined) },
  )
  .superRefine((p, ctx) => {
    const given = Object.keys(p).filter((k) => p[k as keyof typeof p] !== undefined);
    if (given.length !== 1) ctx.addIssue({ code: 'custom', message: `one processor per list item (found ${given.length === 0 ? 'none' : given.join(', ')}); supported: ${NAMES}` });
  });

export const ProcessorsSchema = z.array(ProcessorSchema).default([]);

export type ProcessorConfig = z.infer<typeof ProcessorSchema>;
export type ParseProcessorConfig = z.infer<typeof ParseOptions>;
