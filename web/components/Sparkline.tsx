// A hand-drawn SVG area chart: a few dozen points need no charting library.
import { sparklinePath } from '@/lib/sparkline';

export function Sparkline({
  values,
  max,
  color,
  height = 84,
  label,
}: {
  values: readonly number[];
  max: number;
  color: string;
  height?: number;
  label: string;
}) {
  const width = 300;
  const { line, area } = sparklinePath(values, width, height, max);
  return (
    <svg
      viewBox={`0 0 ${width} ${height}`}
      preserveAspectRatio="none"
      width="100%"
      height={height}
      role="img"
      aria-label={label}
      style={{ display: 'block' }}
    >
      <line x1="0" x2={width} y1={height / 2} y2={height / 2} stroke="var(--border)" strokeDasharray="3 3" />
      {area ? <path d={area} fill={color} fillOpacity={0.14} /> : null}
      {line ? <path d={line} fill="none" stroke={color} strokeWidth={1.6} vectorEffect="non-scaling-stroke" /> : null}
    </svg>
  );
}
