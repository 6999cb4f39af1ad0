import { readFileSync } from 'node:fs';

/**
 * CPU time of the calling thread, in seconds, or null where the system does not say (anything but Linux).
 * `process.cpuUsage()` counts every thread of the process, and Node.js 20 has no per-thread call: Linux keeps the
 * calling thread's time on a CPU, in nanoseconds, in /proc/thread-self/schedstat (its first field), and the tick
 * counts of /proc/thread-self/stat (10 ms steps) are read where schedstat is not kept.
 */
export function threadCpuSeconds(): number | null {
  if (source === 'none') return null;
  try {
    if (source === 'schedstat') {
      const s = readFileSync('/proc/thread-self/schedstat', 'latin1');
      return Number(s.slice(0, s.indexOf(' '))) / 1e9;
    }
    // Fields after the command name, which may hold spaces: state is field 3, utime and stime fields 14 and 15.
    const s = readFileSync('/proc/thread-self/stat', 'latin1');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
  } catch {
    if (source === 'schedstat') {
      source = 'stat';
      return threadCpuSeconds();
    }
    source = 'none';
    return null;
  }
}

/** USER_HZ: 100 on every Linux build that Node.js supports. */
const TICKS_PER_SECOND = 100;
let source: 'schedstat' | 'stat' | 'none' = process.platform === 'linux' ? 'schedstat' : 'none';
