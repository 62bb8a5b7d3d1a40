import {
  Badge,
  Box,
  Button,
  Card,
  Code,
  Group,
  SegmentedControl,
  Skeleton,
  Stack,
  Table,
  Text,
} from '@mantine/core';
import { IconBrandWhatsapp, IconInbox, IconMail, IconMessage } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { type OutboxMessage, useOutbox } from '../../api/channels';
import { DateTime } from '../../ui/DateTime';
import { LoadMore } from '../../ui/LoadMore';
import { ModuleEmptyState } from '../../ui/ModuleEmptyPage';
import { PageHeader } from '../../ui/PageHeader';
import { QueryError } from '../../ui/QueryError';

/** What the Outbox kept instead of sending, each message as its recipient would see it. */
export function OutboxPage() {
  const { t } = useTranslation();
  // ?client_id= and ?campaign_id= narrow the list (links from a client or a campaign).
  const [params, setParams] = useSearchParams();
  const filters = {
    client_id: params.get('client_id') ?? undefined,
    campaign_id: params.get('campaign_id') ?? undefined,
  };
  const filtered = Boolean(filters.client_id || filters.campaign_id);
  const outbox = useOutbox(filters);
  const messages = outbox.data ?? [];
  return (
    <>
      <PageHeader title={t('modules.outbox.title')} description={t('outbox.description')} />
      {filtered ? (
        <Group mb="md" gap="xs">
          <Badge variant="light" size="lg" tt="none">
            {filters.campaign_id ? t('outbox.filteredCampaign') : t('outbox.filteredClient')}
          </Badge>
          <Button variant="subtle" size="xs" onClick={() => setParams({})}>
            {t('outbox.showAll')}
          </Button>
        </Group>
      ) : null}
      {outbox.error && !outbox.data ? (
        <QueryError error={outbox.error} onRetry={() => void outbox.refetch()} />
      ) : null}
      {outbox.isPending ? (
        <Stack>
          <Skeleton height={120} radius="md" />
          <Skeleton height={120} radius="md" />
        </Stack>
      ) : null}
      {outbox.isSuccess && messages.length === 0 && !filtered ? (
        <ModuleEmptyState module="outbox" icon={IconInbox} />
      ) : null}
      {outbox.isSuccess && messages.length === 0 && filtered ? (
        <Text c="dimmed">{t('outbox.noneFiltered')}</Text>
      ) : null}
      <Stack gap="md">
        {messages.map((message) => (
          <OutboxCard key={message.id} message={message} />
        ))}
      </Stack>
      <LoadMore
        mt="md"
        hasMore={outbox.hasNextPage}
        loading={outbox.isFetchingNextPage}
        onLoadMore={() => void outbox.fetchNextPage()}
      />
    </>
  );
}

const KIND_ICON = { email: IconMail, whatsapp: IconBrandWhatsapp, sms: IconMessage } as const;

function OutboxCard({ message }: { message: OutboxMessage }) {
  const { t } = useTranslation();
  const Icon = KIND_ICON[message.kind];
  return (
    <Card
      withBorder
      radius="md"
      padding="md"
      component="article"
      data-testid="outbox-message"
      aria-label={t('outbox.messageTo', { to: message.to })}
    >
      <Stack gap="sm">
        <Group justify="space-between" wrap="nowrap">
          <Group gap="xs" wrap="nowrap">
            <Icon size={20} aria-hidden />
            <Text fw={600} size="sm">
              {t(`channelSettings.kinds.${message.kind}`)}
            </Text>
            <Text size="sm">{t('outbox.to', { to: message.to })}</Text>
          </Group>
          <Group gap={6}>
            {message.marketing ? <Badge variant="light">{t('outbox.marketing')}</Badge> : null}
            {message.test ? <Badge variant="outline">{t('outbox.test')}</Badge> : null}
            <Text size="xs" c="dimmed">
              <DateTime value={message.created_at} />
            </Text>
          </Group>
        </Group>
        {message.kind === 'email' ? <EmailPreview message={message} /> : null}
        {message.kind === 'whatsapp' ? <WhatsappBubble message={message} /> : null}
        {message.kind === 'sms' ? <SmsBubble message={message} /> : null}
      </Stack>
    </Card>
  );
}

function EmailPreview({ message }: { message: OutboxMessage }) {
  const { t } = useTranslation();
  const [view, setView] = useState<'html' | 'text' | 'headers'>(message.html ? 'html' : 'text');
  const headers = Object.entries(message.headers);
  return (
    <Stack gap="xs">
      <Text size="sm">
        <Text span c="dimmed">
          {t('outbox.subject')}{' '}
        </Text>
        <Text span fw={600}>
          {message.subject || t('outbox.noSubject')}
        </Text>
      </Text>
      <SegmentedControl
        size="xs"
        value={view}
        onChange={(value) => setView(value as typeof view)}
        data={[
          ...(message.html ? [{ value: 'html', label: t('outbox.html') }] : []),
          { value: 'text', label: t('outbox.text') },
          { value: 'headers', label: t('outbox.headers', { count: headers.length }) },
        ]}
        aria-label={t('outbox.view')}
        style={{ alignSelf: 'flex-start' }}
      />
      {view === 'html' && message.html ? (
        // No scripts, no same-origin access: the email is shown, never run. The preview version,
        // so that looking at a message does not record its recipient opening it.
        <Box
          component="iframe"
          sandbox=""
          srcDoc={message.html_preview ?? ''}
          title={t('outbox.htmlTitle', { to: message.to })}
          w="100%"
          h={320}
          style={{
            border: '1px solid var(--mantine-color-default-border)',
            borderRadius: 8,
            background: 'white',
          }}
        />
      ) : null}
      {view === 'text' ? (
        <Code block style={{ whiteSpace: 'pre-wrap' }}>
          {message.text}
        </Code>
      ) : null}
      {view === 'headers' ? (
        headers.length ? (
          <Table withTableBorder fz="xs">
            <Table.Tbody>
              {headers.map(([name, value]) => (
                <Table.Tr key={name}>
                  <Table.Th w={200}>{name}</Table.Th>
                  <Table.Td style={{ wordBreak: 'break-all' }}>{value}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ) : (
          <Text size="sm" c="dimmed">
            {t('outbox.noHeaders')}
          </Text>
        )
      ) : null}
    </Stack>
  );
}

function Bubble({ color, children }: { color: string; children: React.ReactNode }) {
  return (
    <Box
      maw={420}
      p="sm"
      style={{
        background: color,
        color: '#111',
        borderRadius: '12px 12px 12px 2px',
        whiteSpace: 'pre-wrap',
        boxShadow: '0 1px 1px rgba(0,0,0,0.12)',
      }}
    >
      {children}
    </Box>
  );
}

function WhatsappBubble({ message }: { message: OutboxMessage }) {
  const { t } = useTranslation();
  const template = message.whatsapp_template;
  return (
    <Box p="sm" style={{ background: '#efeae2', borderRadius: 8 }}>
      <Bubble color="#d9fdd3">
        {template ? (
          <Stack gap={4}>
            <Text size="xs" fw={600} c="#075e54">
              {template.name
                ? t('outbox.template', { name: template.name, language: template.language ?? '' })
                : t('outbox.contentSid', { sid: template.contentSid ?? '' })}
            </Text>
            {message.text ? <Text size="sm">{message.text}</Text> : null}
            {template.bodyParameters?.length ? (
              <Text size="xs" c="#555">
                {t('outbox.parameters', { values: template.bodyParameters.join(' · ') })}
              </Text>
            ) : null}
          </Stack>
        ) : (
          <Text size="sm">{message.text}</Text>
        )}
      </Bubble>
    </Box>
  );
}

function SmsBubble({ message }: { message: OutboxMessage }) {
  const { t } = useTranslation();
  return (
    <Stack gap={6}>
      <Bubble color="#e9e9eb">
        <Text size="sm">{message.text}</Text>
      </Bubble>
      {message.sms ? (
        <Text size="xs" c="dimmed">
          {t('outbox.segments', {
            count: message.sms.segments,
            encoding: message.sms.encoding,
            units: message.sms.units,
          })}
        </Text>
      ) : null}
    </Stack>
  );
}
