// Leak trend: the least-squares slope of a measure over the second half of the run, projected
// over that half. A steady state has a flat line; a leak has a slope that grows with the run.

/** Slope (units per ms) of `values` over `times`. */
function slope(times, values) {
  const n = times.length;
  const meanT = times.reduce((a, b) => a + b, 0) / n;
  const meanV = values.reduce((a, b) => a + b, 0) / n;
  let numerator = 0;
  let denominator = 0;
  for (let i = 0; i < n; i++) {
    numerator += (times[i] - meanT) * (values[i] - meanV);
    denominator += (times[i] - meanT) ** 2;
  }
  return denominator === 0 ? 0 : numerator / denominator;
}

/**
 * For each measure, the growth the second half's trend line shows across that half, and whether
 * it is beyond `tolerance[measure](startValue)`. Needs at least 4 samples in that half.
 */
export function leakTrends(samples, tolerance) {
  const end = samples[samples.length - 1].atMs;
  const secondHalf = samples.filter((sample) => sample.atMs >= end / 2);
  if (secondHalf.length < 4) return [];
  const span = secondHalf[secondHalf.length - 1].atMs - secondHalf[0].atMs;
  const times = secondHalf.map((sample) => sample.atMs);
  return Object.keys(tolerance).map((measure) => {
    const values = secondHalf.map((sample) => sample[measure]);
    const growth = slope(times, values) * span;
    const allowed = tolerance[measure](values[0]);
    return { measure, growth, allowed, leaking: growth > allowed };
  });
}
