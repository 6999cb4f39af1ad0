/**
 * mulberry32: a 32-bit state PRNG whose arithmetic stays in integers through `Math.imul`. An LCG written with
 * doubles (`(a * s + c) % m`) loses low bits once the product passes 2^53 and falls into a short cycle (~16k
 * draws here), which silently turned a "distinct" corpus into repeats. Period 2^32, plenty for 5M lines.
 */
export type Prng = () => number;

/** Returns a generator of uint32 values; the same seed always yields the same sequence. */
export function mulberry32(seed: number): Prng {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** The same generator as floats in [0, 1): for seeded test data and the sample feed. */
export function mulberry32Float(seed: number): Prng {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}
