import { Alert, Button, Card, Select, Stack, Text, TextInput } from '@mantine/core';
import { IconSend } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type CampaignChannel, type TestSendResult, useTestCampaign } from '../../api/campaigns';
import { useErrorMessage } from '../../ui/errors';
import { ClientPicker } from '../templates/ClientPicker';
import { letter } from './CampaignFigures';

/**
 * One test message of the saved campaign, rendered for a real client, to an address of the user's:
 * through the campaign's own account, outside the ledger, the stats and the frequency cap.
 */
export function TestSendCard({
  id,
  channel,
  variants,
}: {
  id: string;
  channel: CampaignChannel;
  variants: number;
}) {
  const { t } = useTranslation();
  const errorMessage = useErrorMessage();
  const [clientId, setClientId] = useState<string | null>(null);
  const [to, setTo] = useState('');
  const [variant, setVariant] = useState('0');
  const [result, setResult] = useState<{ to: string; outcome: TestSendResult } | null>(null);
  const test = useTestCampaign(id);
  const send = () => {
    const address = to.trim();
    setResult(null);
    test.mutate(
      { to: address, client_id: clientId!, ...(variants > 1 ? { variant: Number(variant) } : {}) },
      { onSuccess: (outcome) => setResult({ to: address, outcome }) },
    );
  };
  return (
    <Card withBorder data-testid="test-send">
      <Text fw={600}>{t('campaigns.testSend.title')}</Text>
      <Text size="sm" c="dimmed" mb="sm">
        {t('campaigns.testSend.help')}
      </Text>
      <Stack gap="sm">
        <ClientPicker value={clientId} onChange={setClientId} label={t('campaigns.testSend.asClient')} />
        <TextInput
          label={t(channel === 'email' ? 'campaigns.testSend.toEmail' : 'campaigns.testSend.toPhone')}
          placeholder={channel === 'email' ? 'you@example.com' : '+34600000000'}
          value={to}
          onChange={(e) => setTo(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && clientId && to.trim()) send();
          }}
        />
        {variants > 1 ? (
          <Select
            label={t('campaigns.testSend.variant')}
            data={Array.from({ length: variants }, (_, i) => ({
              value: String(i),
              label: t('campaigns.ab.variant', { variant: letter(i) }),
            }))}
            value={variant}
            onChange={(v) => setVariant(v ?? '0')}
            allowDeselect={false}
          />
        ) : null}
        <Button
          variant="light"
          leftSection={<IconSend size={16} />}
          onClick={send}
          loading={test.isPending}
          disabled={!clientId || !to.trim()}
        >
          {t('campaigns.testSend.send')}
        </Button>
        {test.isError ? (
          <Alert color="red" variant="light" data-testid="test-send-result">
            {errorMessage(test.error)}
          </Alert>
        ) : null}
        {result ? (
          <Alert
            color={result.outcome.status === 'sent' ? 'teal' : 'red'}
            variant="light"
            data-testid="test-send-result"
          >
            {result.outcome.status === 'sent'
              ? t('campaigns.testSend.sent', { to: result.to })
              : t('campaigns.testSend.notSent', { error: result.outcome.error ?? result.outcome.status })}
          </Alert>
        ) : null}
      </Stack>
    </Card>
  );
}
