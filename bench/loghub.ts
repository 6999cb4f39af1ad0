import { readFileSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import { parseCsv } from '../lib/csv.ts';
import { groundTruthFile, LOGHUB_SYSTEMS, type LoghubSystem, sampleFile } from '../lib/datasets.ts';
import { StrataError } from '../lib/errors.ts';

/**
 * The Loghub 2k samples are the only source text of the bench corpus. They live outside the repository (their
 * licence and size keep them out of git), so every bench run can find them missing: that is reported as
 * "skipped", never as a pass, because a bench that measured nothing must not look green.
 */

export { groundTruthFile, LOGHUB_SYSTEMS, resolveDatasetsDir, sampleFile, type LoghubSystem } from '../lib/datasets.ts';

/** Thrown when the samples are absent; benches catch it and report "skipped" (exit code `SKIP_EXIT_CODE`). */
export class DatasetsUnavailableError extends StrataError {
  constructor(readonly datasetsDir: string, readonly missing: readonly string[]) {
    const shown = missing.slice(0, 3).join(', ') + (missing.length > 3 ? `, and ${missing.length - 3} more` : '');
    super(
      'not_found',
      `Loghub samples not found in ${datasetsDir} (missing ${shown}): set STRATA_DATASETS to the folder that holds loghub/<System>/<System>_2k.log and its _structured.csv`,
      { datasetsDir, missing },
    );
    this.name = 'DatasetsUnavailableError';
  }
}

/** Automake's convention for "skipped", so CI can tell a bench that did not run from one that passed. */
export const SKIP_EXIT_CODE = 77;

export interface LoghubSample {
  readonly system: LoghubSystem;
  /** Non-empty lines as bytes, CR stripped (most samples have CRLF endings). */
  readonly lines: readonly Buffer[];
  /** The ground truth's `EventId` of each line (its template), in the same order. */
  readonly events: readonly string[];
}

/**
 * Sizes of the sample files and their ground truth: a cheap fingerprint for the corpus cache, and the existence
 * check in one pass.
 */
export function statSamples(datasetsDir: string): number[] {
  const missing: string[] = [];
  const sizes = LOGHUB_SYSTEMS.flatMap((s) =>
    [sampleFile(datasetsDir, s), groundTruthFile(datasetsDir, s)].map((file) => {
      try {
        return statSync(file).size;
      } catch {
        missing.push(relative(datasetsDir, file));
        return -1;
      }
    }),
  );
  if (missing.length > 0) throw new DatasetsUnavailableError(datasetsDir, missing);
  return sizes;
}

export function loadSamples(datasetsDir: string): LoghubSample[] {
  statSamples(datasetsDir);
  return LOGHUB_SYSTEMS.map((system) => {
    const lines = splitLines(readFileSync(sampleFile(datasetsDir, system)));
    return { system, lines, events: readEventIds(groundTruthFile(datasetsDir, system), lines.length) };
  });
}

/** The `EventId` column, checked to have one row per sample line (the corpus pairs them by position). */
function readEventIds(file: string, lineCount: number): string[] {
  const [header, ...rows] = parseCsv(readFileSync(file, 'utf8'));
  const col = header?.indexOf('EventId') ?? -1;
  if (col < 0) throw new StrataError('invalid_config', `${file} has no EventId column`, { file });
  if (rows.length !== lineCount) {
    throw new StrataError('invalid_config', `${file} has ${rows.length} rows for ${lineCount} sample lines`, { file });
  }
  return rows.map((r) => r[col] ?? '');
}

function splitLines(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  while (start < buf.length) {
    let end = buf.indexOf(0x0a, start);
    if (end < 0) end = buf.length;
    let stop = end;
    if (stop > start && buf[stop - 1] === 0x0d) stop--;
    if (stop > start) out.push(buf.subarray(start, stop));
    start = end + 1;
  }
  return out;
}
