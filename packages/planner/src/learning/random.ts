/** A small seeded PRNG (mulberry32): bandit draws are reproducible given a seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(random: () => number): number {
  // Box–Muller; 1 - u keeps the logarithm finite.
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Gamma(shape, 1) for shape ≥ 1 (Marsaglia–Tsang). */
function gamma(shape: number, random: () => number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x = normal(random);
    let v = 1 + c * x;
    if (v <= 0) continue;
    v = v * v * v;
    x = x * x;
    const u = 1 - random();
    if (u < 1 - 0.0331 * x * x || Math.log(u) < 0.5 * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** A draw from Beta(alpha, beta), alpha and beta ≥ 1 (successes + 1, failures + 1). */
export function betaSample(alpha: number, beta: number, random: () => number): number {
  const x = gamma(alpha, random);
  const y = gamma(beta, random);
  return x / (x + y);
}
