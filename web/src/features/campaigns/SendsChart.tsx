import '@mantine/charts/styles.css';
import { BarChart } from '@mantine/charts';

/** Sends and deliveries over time as grouped bars (its own chunk: recharts loads only on a campaign's page). */
export default function SendsChart({
  data,
  labels,
}: {
  data: { at: string; sent: number; delivered: number }[];
  labels: { sent: string; delivered: string };
}) {
  return (
    <BarChart
      h={220}
      data={data}
      dataKey="at"
      withLegend
      series={[
        { name: 'sent', label: labels.sent, color: 'teal.6' },
        { name: 'delivered', label: labels.delivered, color: 'blue.6' },
      ]}
    />
  );
}
