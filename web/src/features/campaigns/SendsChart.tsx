import '@mantine/charts/styles.css';
import { BarChart } from '@mantine/charts';

/** Sends per minute as bars (its own chunk: recharts loads only on a campaign's page). */
export default function SendsChart({
  data,
  label,
}: {
  data: { minute: string; count: number }[];
  label: string;
}) {
  return (
    <BarChart h={200} data={data} dataKey="minute" series={[{ name: 'count', label, color: 'teal.6' }]} />
  );
}
