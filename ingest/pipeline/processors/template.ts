import { StrataError } from '../../../lib/errors.ts';

/**
 * `set` values may reference fields as `{{field}}`. A template compiles once into alternating literal text and
 * field names, so rendering is a loop of concatenations with no parsing per record.
 */
export interface Template {
  /** Literal text before each reference, and the text after the last one: `literals.length === refs.length + 1`. */
  readonly literals: readonly string[];
  readonly refs: readonly string[];
}

/** `{{` without a closing `}}` is literal text: a template that references nothing is just a string. */
export function parseTemplate(text: string): Template {
  const literals: string[] = [];
  const refs: string[] = [];
  let from = 0;
  let lit = '';
  for (;;) {
    const open = text.indexOf('{{', from);
    const close = open < 0 ? -1 : text.indexOf('}}', open + 2);
    if (close < 0) {
      literals.push(lit + text.slice(from));
      return { literals, refs };
    }
    const name = text.slice(open + 2, close).trim();
    if (name === '') throw new StrataError('invalid_config', `empty field reference "{{}}" at position ${open}: write {{field}}`);
    if (name === '_id' || name === '_index' || name === '__proto__') {
      throw new StrataError('invalid_config', `"${name}" cannot be referenced: it is not a field of the record`);
    }
    literals.push(lit + text.slice(from, open));
    lit = '';
    refs.push(name);
    from = close + 2;
  }
}
