import '@mantine/charts/styles.css';
import { BarChart, LineChart } from '@mantine/charts';

/** The home page's charts (their own chunk: recharts loads after the page). */
export function ClientsChart({
  data,
  labels,
}: {
  data: { week: string; new: number; active: number; at_risk: number | null }[];
  labels: { new: string; active: string; atRisk: string };
}) {
  return (
    <LineChart
      h={220}
      data={data}
      dataKey="week"
      withLegend
      curveType="monotone"
      // Weeks before the first daily reading have no at-risk figure: a gap, not a drop to 0.
      connectNulls={false}
      series={[
        { name: 'new', label: labels.new, color: 'teal.6' },
        { name: 'active', label: labels.active, color: 'blue.6' },
        { name: 'at_risk', label: labels.atRisk, color: 'red.6' },
      ]}
    />
  );
}

export function MessagesChart({
  data,
  labels,
}: {
  data: { week: string; email: number; sms: number; whatsapp: number }[];
  labels: { email: string; sms: string; whatsapp: string };
}) {
  return (
    <BarChart
      h={220}
      data={data}
      dataKey="week"
      type="stacked"
      withLegend
      series={[
        { name: 'email', label: labels.email, color: 'indigo.6' },
        { name: 'sms', label: labels.sms, color: 'orange.6' },
        { name: 'whatsapp', label: labels.whatsapp, color: 'green.6' },
      ]}
    />
  );
}

export default { ClientsChart, MessagesChart };
