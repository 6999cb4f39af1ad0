/**
 * glibc's malloc keeps memory that threads freed, and raises its mmap threshold (up to 32 MiB) each time a large
 * block is freed, after which buffers of up to that size come from arenas that rarely shrink. Segment builds
 * allocate and free many such buffers, so a node that ingested and merged for a while stayed at its peak resident
 * size long after. Pinning the threshold makes those buffers mmapped and returned when freed. It must be set
 * before the process starts (glibc reads it once), hence advice at start-up rather than a setting.
 */
export const RECOMMENDED_MMAP_THRESHOLD = '262144';

/** The start-up advice, or null when it does not apply (the variable is set, or the C library is not glibc). */
export function allocatorAdvice(env: NodeJS.ProcessEnv = process.env, glibc: string | null = glibcVersion()): string | null {
  if (glibc === null || env.MALLOC_MMAP_THRESHOLD_ !== undefined) return null;
  return (
    `memory: glibc ${glibc} keeps freed build buffers; start the node with MALLOC_MMAP_THRESHOLD_=${RECOMMENDED_MMAP_THRESHOLD} ` +
    'in its environment to return them (about half the resident memory after a large ingest; README: Running a node)'
  );
}

function glibcVersion(): string | null {
  if (process.platform !== 'linux') return null;
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime ?? null;
}
