import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the shared datasets live. They stay outside the repository (their licences and size keep them out of git),
 * so every test or bench that reads them must report itself skipped, never passed, when they are absent.
 */

/** The 16 Loghub systems, fixed and in a fixed order so that a seed always means the same corpus. */
export const LOGHUB_SYSTEMS = [
  'Android', 'Apache', 'BGL', 'HDFS', 'HPC', 'Hadoop', 'HealthApp', 'Linux',
  'Mac', 'OpenSSH', 'OpenStack', 'Proxifier', 'Spark', 'Thunderbird', 'Windows', 'Zookeeper',
] as const;

export type LoghubSystem = (typeof LOGHUB_SYSTEMS)[number];

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** `$STRATA_DATASETS`, else `../shared/datasets` beside the repository. */
export function resolveDatasetsDir(): string {
  const env = process.env.STRATA_DATASETS;
  return env && env.length > 0 ? resolve(env) : resolve(REPO_ROOT, '../shared/datasets');
}

/** `loghub/<System>/<System>_2k.log`; its ground truth is beside it (`groundTruthFile`). */
export function sampleFile(datasetsDir: string, system: LoghubSystem): string {
  return join(datasetsDir, 'loghub', system, `${system}_2k.log`);
}

/** `loghub/<System>/<System>_2k.log_structured.csv`: a row per sample line, with its template's `EventId`. */
export function groundTruthFile(datasetsDir: string, system: LoghubSystem): string {
  return sampleFile(datasetsDir, system) + '_structured.csv';
}
