import '@mantine/charts/styles.css';
import { Sparkline } from '@mantine/charts';

/** The count history as a small line (its own chunk: recharts loads only where a sparkline shows). */
export default function CountSparkline({ points }: { points: number[] }) {
  return (
    <Sparkline
      w={110}
      h={32}
      data={points}
      curveType="monotone"
      // One calm color: a segment shrinking or growing is news, not good or bad by itself.
      color="blue.5"
      fillOpacity={0.25}
      strokeWidth={1.6}
    />
  );
}
