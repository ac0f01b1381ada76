// Geometry for components/Sparkline.tsx, kept pure for testing.
export function sparklinePath(values: readonly number[], width: number, height: number, max: number) {
  if (values.length === 0) return { line: '', area: '' };
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const y = (v: number) => height - (Math.max(0, Math.min(v, max)) / (max || 1)) * (height - 2) - 1;
  const pts = values.map((v, i) => `${(i * step).toFixed(1)},${y(v).toFixed(1)}`);
  const line = `M${pts.join('L')}`;
  const area = `${line}L${((values.length - 1) * step).toFixed(1)},${height}L0,${height}Z`;
  return { line, area };
}

/** A round upper bound for a chart's y-axis: the series peak plus headroom, rounded up to
 *  1, 2 or 5 × 10^n, so small values fill the chart instead of hugging its floor. */
export function niceMax(values: readonly number[], floor: number): number {
  const peak = Math.max(floor, ...values) * 1.2;
  const mag = 10 ** Math.floor(Math.log10(peak));
  for (const step of [1, 2, 5, 10]) if (step * mag >= peak) return step * mag;
  return 10 * mag;
}
