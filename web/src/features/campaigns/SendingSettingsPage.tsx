import {
  Button,
  Card,
  Group,
  Loader,
  NumberInput,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  type CampaignSettings,
  DEFAULT_QUIET_HOURS,
  hourLabel,
  type Prices,
  type QuietHours,
  useCampaignSettings,
  useUpdateCampaignSettings,
} from '../../api/campaigns';
import { useMe } from '../../api/me';
import { hasRole } from '../../lib/roles';
import { useErrorMessage } from '../../ui/errors';
import { notifyError, notifySuccess } from '../../ui/notify';
import { PageHeader } from '../../ui/PageHeader';
import { QueryError } from '../../ui/QueryError';

const NO_PRICES: Prices = {
  currency: 'EUR',
  email: 0,
  sms_segment: 0,
  whatsapp: { marketing: 0, utility: 0, authentication: 0, service: 0 },
};
const CATEGORIES = ['marketing', 'utility', 'authentication', 'service'] as const;
const HOURS = Array.from({ length: 24 }, (_, h) => ({ value: String(h), label: hourLabel(h) }));

/**
 * Settings → Sending: the frequency cap, the quiet hours of SMS and WhatsApp, and the prices the
 * campaign cost estimate uses. Admins change them.
 */
export function SendingSettingsPage() {
  const { t } = useTranslation();
  const settings = useCampaignSettings();
  if (settings.error) return <QueryError error={settings.error} onRetry={() => void settings.refetch()} />;
  if (!settings.data) return <Loader aria-label={t('campaigns.loading')} />;
  return (
    <>
      <PageHeader title={t('sendingSettings.title')} description={t('sendingSettings.description')} />
      <SettingsForm initial={settings.data} />
    </>
  );
}

function SettingsForm({ initial }: { initial: CampaignSettings }) {
  const { t } = useTranslation();
  const errorMessage = useErrorMessage();
  const { data: me } = useMe();
  const canEdit = hasRole(me?.role, 'admin');
  const update = useUpdateCampaignSettings();
  const [cap, setCap] = useState<number | null>(initial.frequency_cap_7d);
  const [pricesOn, setPricesOn] = useState(initial.prices !== null);
  const [prices, setPrices] = useState<Prices>(initial.prices ?? NO_PRICES);
  const [quietOn, setQuietOn] = useState(initial.quiet_hours !== null);
  const [quiet, setQuiet] = useState<QuietHours>(initial.quiet_hours ?? DEFAULT_QUIET_HOURS);
  const quietInvalid = quietOn && quiet.start === quiet.end;
  const hourSelect = (key: keyof QuietHours, label: string) => (
    <Select
      label={label}
      data={HOURS}
      value={String(quiet[key])}
      onChange={(v) => v !== null && setQuiet({ ...quiet, [key]: Number(v) })}
      allowDeselect={false}
      disabled={!canEdit}
      error={key === 'end' && quietInvalid ? t('sendingSettings.quietSame') : undefined}
      maw={160}
      data-testid={`quiet-${key}`}
    />
  );
  const price = (value: number, onChange: (n: number) => void, label: string, testId: string) => (
    <NumberInput
      label={label}
      value={value}
      onChange={(n) => onChange(Number(n) || 0)}
      min={0}
      max={1000}
      decimalScale={5}
      step={0.001}
      prefix={`${prices.currency} `}
      disabled={!canEdit}
      data-testid={testId}
    />
  );
  const save = () =>
    update.mutate(
      { frequency_cap_7d: cap, prices: pricesOn ? prices : null, quiet_hours: quietOn ? quiet : null },
      {
        onSuccess: () => notifySuccess(t('sendingSettings.saved')),
        onError: (error) => notifyError(errorMessage(error)),
      },
    );
  return (
    <Stack maw={760}>
      <Card withBorder>
        <Title order={2} size="h4" mb="xs">
          {t('sendingSettings.capTitle')}
        </Title>
        <NumberInput
          label={t('sendingSettings.cap')}
          description={t('sendingSettings.capHelp')}
          value={cap ?? ''}
          onChange={(n) => setCap(n === '' ? null : Number(n))}
          min={1}
          max={100}
          allowDecimal={false}
          disabled={!canEdit}
          maw={320}
        />
      </Card>
      <SwitchedCard
        title={t('sendingSettings.quietTitle')}
        help={t('sendingSettings.quietHelp')}
        label={t('sendingSettings.quietOn')}
        checked={quietOn}
        onChange={setQuietOn}
        disabled={!canEdit}
        testId="quiet-on"
        off={<Text size="sm">{t('sendingSettings.quietOff')}</Text>}
      >
        <Group align="flex-start">
          {hourSelect('start', t('sendingSettings.quietFrom'))}
          {hourSelect('end', t('sendingSettings.quietTo'))}
        </Group>
      </SwitchedCard>
      <SwitchedCard
        title={t('sendingSettings.pricesTitle')}
        help={t('sendingSettings.pricesHelp')}
        label={t('sendingSettings.pricesOn')}
        checked={pricesOn}
        onChange={setPricesOn}
        disabled={!canEdit}
        testId="prices-on"
      >
        <Stack>
          <TextInput
            label={t('sendingSettings.currency')}
            description={t('sendingSettings.currencyHelp')}
            value={prices.currency}
            onChange={(e) =>
              setPrices({ ...prices, currency: e.currentTarget.value.toUpperCase().slice(0, 3) })
            }
            maw={240}
            disabled={!canEdit}
          />
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            {price(
              prices.email,
              (email) => setPrices({ ...prices, email }),
              t('sendingSettings.email'),
              'price-email',
            )}
            {price(
              prices.sms_segment,
              (sms_segment) => setPrices({ ...prices, sms_segment }),
              t('sendingSettings.smsSegment'),
              'price-sms',
            )}
          </SimpleGrid>
          <Text size="sm" fw={500}>
            {t('sendingSettings.whatsapp')}
          </Text>
          <SimpleGrid cols={{ base: 1, sm: 4 }}>
            {CATEGORIES.map((c) =>
              price(
                prices.whatsapp[c],
                (n) => setPrices({ ...prices, whatsapp: { ...prices.whatsapp, [c]: n } }),
                t(`sendingSettings.categories.${c}`),
                `price-whatsapp-${c}`,
              ),
            )}
          </SimpleGrid>
        </Stack>
      </SwitchedCard>
      {canEdit ? (
        <Group>
          <Button onClick={save} loading={update.isPending} disabled={quietInvalid}>
            {t('sendingSettings.save')}
          </Button>
        </Group>
      ) : (
        <Text size="sm" c="dimmed">
          {t('sendingSettings.adminsOnly')}
        </Text>
      )}
    </Stack>
  );
}

/** A card of one optional rule: its title and help, the switch that turns it on, its fields when on. */
function SwitchedCard(props: {
  title: string;
  help: string;
  label: string;
  checked: boolean;
  onChange(checked: boolean): void;
  disabled: boolean;
  testId: string;
  /** What the card says while the rule is off. */
  off?: ReactNode;
  children: ReactNode;
}) {
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="xs">
        {props.title}
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        {props.help}
      </Text>
      <Switch
        label={props.label}
        checked={props.checked}
        onChange={(e) => props.onChange(e.currentTarget.checked)}
        disabled={props.disabled}
        mb="sm"
        data-testid={props.testId}
      />
      {props.checked ? props.children : (props.off ?? null)}
    </Card>
  );
}
