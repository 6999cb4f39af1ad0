// A Piscina task for thread-cpu.test.ts: computes for `ms` and returns how much CPU time its thread counted.
import { threadCpuSeconds } from './thread-cpu.ts';

export default function spin(ms: number): number {
  const a = threadCpuSeconds()!;
  const until = performance.now() + ms;
  let x = 0;
  while (performance.now() < until) x += Math.sqrt(x + 1);
  return x < 0 ? 0 : threadCpuSeconds()! - a;
}
