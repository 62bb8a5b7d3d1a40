import {
  Alert,
  Badge,
  Button,
  Card,
  Group,
  Modal,
  NumberInput,
  PasswordInput,
  Select,
  SimpleGrid,
  Skeleton,
  Stack,
  Switch,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import {
  IconAlertTriangle,
  IconCircleCheck,
  IconPlugConnected,
  IconRefresh,
  IconSend,
} from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { smsLength } from '../../../../src/modules/channels/sms-length.ts';
import {
  type Channel,
  type ChannelKind,
  MASK,
  type ProviderId,
  type ProviderInfo,
  type TestResult,
  useChannels,
  useCreateChannel,
  useProviders,
  useSyncWhatsappTemplates,
  useTestChannel,
  useUpdateChannel,
  useWhatsappTemplates,
} from '../../api/channels';
import { isApiError } from '../../api/client';
import { useMe } from '../../api/me';
import { hasRole } from '../../lib/roles';
import { AddButton, CrudFormButtons } from '../../ui/CrudModal';
import { DateTime } from '../../ui/DateTime';
import { useErrorMessage } from '../../ui/errors';
import { notifyError, notifySuccess } from '../../ui/notify';
import { QueryError } from '../../ui/QueryError';
import { SettingsPage } from '../../ui/SettingsPage';
import { ChannelUsedBy, useAskDeleteChannel } from './ChannelUses';
import { WebhookAddresses } from './WebhookAddresses';

/** Settings › Channels: the providers that carry messages, their limits, health and a test button. */
export function ChannelsPage() {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const canEdit = hasRole(me?.role, 'admin');
  const canTest = hasRole(me?.role, 'marketer');
  const channels = useChannels();
  const [editing, setEditing] = useState<{ channel: Channel | null } | null>(null);
  const [testing, setTesting] = useState<Channel | null>(null);
  const askDelete = useAskDeleteChannel();
  const sync = useSyncWhatsappTemplates();
  const errorMessage = useErrorMessage();
  const list = channels.data ?? [];
  const onlyOutbox = list.length > 0 && list.every((c) => c.provider === 'outbox');

  return (
    <SettingsPage
      title={t('channelSettings.title')}
      description={t('channelSettings.description')}
      actions={
        canEdit ? (
          <AddButton onClick={() => setEditing({ channel: null })}>{t('channelSettings.add')}</AddButton>
        ) : undefined
      }
      readOnlyNote={canEdit ? undefined : t('channelSettings.readOnly')}
    >
      {channels.error && !channels.data ? (
        <QueryError error={channels.error} onRetry={() => void channels.refetch()} />
      ) : null}
      {channels.isPending ? <Skeleton height={160} radius="md" /> : null}
      {onlyOutbox ? (
        <Alert
          variant="light"
          color="blue"
          icon={<IconPlugConnected size={20} aria-hidden />}
          title={t('channelSettings.onlyOutboxTitle')}
        >
          {t('channelSettings.onlyOutboxText')}
        </Alert>
      ) : null}
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        {list.map((channel) => (
          <ChannelCard
            key={channel.id}
            channel={channel}
            canEdit={canEdit}
            canTest={canTest}
            onEdit={() => setEditing({ channel })}
            onTest={() => setTesting(channel)}
            onSync={() =>
              sync.mutate(channel.id, {
                onSuccess: (result) =>
                  notifySuccess(t('channelSettings.synced', { count: result.templates.length })),
                onError: (error) => notifyError(errorMessage(error)),
              })
            }
            syncing={sync.isPending && sync.variables === channel.id}
            onDelete={() => askDelete(channel)}
          />
        ))}
      </SimpleGrid>
      <Modal
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={
          editing?.channel
            ? t('channelSettings.editTitle', { name: editing.channel.name })
            : t('channelSettings.addTitle')
        }
        size="lg"
        centered
      >
        {editing ? <ChannelForm channel={editing.channel} onClose={() => setEditing(null)} /> : null}
      </Modal>
      <Modal
        opened={testing !== null}
        onClose={() => setTesting(null)}
        title={t('channelSettings.testTitle', { name: testing?.name ?? '' })}
        centered
      >
        {testing ? <TestForm channel={testing} onClose={() => setTesting(null)} /> : null}
      </Modal>
    </SettingsPage>
  );
}

function HealthLine({ channel }: { channel: Channel }) {
  const { t } = useTranslation();
  const { health } = channel;
  if (health.last_test_ok === null)
    return (
      <Text size="sm" c="dimmed">
        {t('channelSettings.neverTested')}
      </Text>
    );
  return (
    <Stack gap={2}>
      <Group gap={6} wrap="nowrap">
        {health.last_test_ok ? (
          <IconCircleCheck size={18} color="var(--mantine-color-green-7)" aria-hidden />
        ) : (
          <IconAlertTriangle size={18} color="var(--mantine-color-red-7)" aria-hidden />
        )}
        <Text size="sm" fw={500}>
          {health.last_test_ok ? t('channelSettings.testOk') : t('channelSettings.testFailed')}
        </Text>
        <Text size="sm" c="dimmed">
          <DateTime value={health.last_test_at} />
        </Text>
      </Group>
      {health.last_test_error ? (
        <Text size="xs" c="red.8" lineClamp={3}>
          {health.last_test_error}
        </Text>
      ) : null}
    </Stack>
  );
}

function ChannelCard(props: {
  channel: Channel;
  canEdit: boolean;
  canTest: boolean;
  onEdit: () => void;
  onTest: () => void;
  onDelete: () => void;
  onSync: () => void;
  syncing: boolean;
}) {
  const { t } = useTranslation();
  const { channel } = props;
  return (
    <Card
      withBorder
      radius="md"
      padding="lg"
      data-testid="channel-card"
      aria-label={channel.name}
      component="section"
    >
      <Stack gap="sm">
        <Group justify="space-between" align="flex-start" wrap="nowrap">
          <div>
            <Title order={3} size="h4">
              {channel.name}
            </Title>
            <Text size="sm" c="dimmed">
              {t(`channelSettings.providers.${channel.provider}`)}
            </Text>
          </div>
          <Group gap={4}>
            {channel.is_default ? <Badge color="teal">{t('channelSettings.default')}</Badge> : null}
            {channel.kinds.map((kind) => (
              <Badge key={kind} variant="light">
                {t(`channelSettings.kinds.${kind}`)}
              </Badge>
            ))}
          </Group>
        </Group>
        <Group gap="lg">
          <Text size="sm">
            <Text span fw={600}>
              {t('channelSettings.ratePerSecond', { count: channel.rate_per_second })}
            </Text>
          </Text>
          <Text size="sm">
            {channel.daily_cap === null
              ? t('channelSettings.noCap')
              : t('channelSettings.dailyCapValue', { count: channel.daily_cap })}
          </Text>
          <Text size="sm" c="dimmed">
            {t('channelSettings.last24h', {
              sent: channel.health.sent_24h,
              failed: channel.health.failed_24h,
            })}
          </Text>
        </Group>
        {channel.provider === 'outbox' ? (
          <Text size="sm" c="dimmed">
            {t('channelSettings.outboxNote')}
          </Text>
        ) : (
          <HealthLine channel={channel} />
        )}
        <ChannelUsedBy channel={channel} />
        {channel.provider === 'meta_whatsapp' ? <ApprovedTemplates channelId={channel.id} /> : null}
        {channel.provider !== 'outbox' ? <WebhookAddresses channel={channel} /> : null}
        <Group gap="xs">
          {props.canTest ? (
            <Button
              size="xs"
              variant="light"
              leftSection={<IconSend size={16} aria-hidden />}
              onClick={props.onTest}
            >
              {t('channelSettings.test')}
            </Button>
          ) : null}
          {props.canEdit ? (
            <Button size="xs" variant="default" onClick={props.onEdit}>
              {t('channelSettings.edit')}
            </Button>
          ) : null}
          {props.canTest && channel.provider === 'meta_whatsapp' ? (
            <Button
              size="xs"
              variant="default"
              leftSection={<IconRefresh size={16} aria-hidden />}
              loading={props.syncing}
              onClick={props.onSync}
            >
              {t('channelSettings.syncTemplates')}
            </Button>
          ) : null}
          {props.canEdit && channel.provider !== 'outbox' ? (
            <Button size="xs" variant="subtle" color="red" onClick={props.onDelete}>
              {t('channelSettings.delete')}
            </Button>
          ) : null}
        </Group>
      </Stack>
    </Card>
  );
}

type FormValues = {
  provider: ProviderId | null;
  name: string;
  settings: Record<string, string | number | boolean | null>;
  rate_per_second: number | string;
  daily_cap: number | string;
  is_default: boolean;
};

function initialSettings(provider: ProviderInfo | undefined, channel: Channel | null) {
  const values: FormValues['settings'] = {};
  for (const field of provider?.fields ?? []) {
    const current = channel?.settings[field.name];
    if (current !== undefined) values[field.name] = current as string | number | boolean;
    else if (field.secret) values[field.name] = '';
    else values[field.name] = field.default ?? (field.type === 'boolean' ? false : '');
  }
  return values;
}

/** The form starts from the provider's fields, so it is mounted once they are known. */
function ChannelForm({ channel, onClose }: { channel: Channel | null; onClose: () => void }) {
  const providers = useProviders();
  if (providers.error && !providers.data)
    return <QueryError error={providers.error} onRetry={() => void providers.refetch()} />;
  if (!providers.data) return <Skeleton height={200} />;
  return <ChannelFormFields channel={channel} providers={providers.data} onClose={onClose} />;
}

function ChannelFormFields({
  channel,
  providers,
  onClose,
}: {
  channel: Channel | null;
  providers: ProviderInfo[];
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const create = useCreateChannel();
  const update = useUpdateChannel();
  const errorMessage = useErrorMessage();
  const providerOf = (id: ProviderId | null) => providers.find((p) => p.provider === id);
  const form = useForm<FormValues>({
    initialValues: {
      provider: channel?.provider ?? null,
      name: channel?.name ?? '',
      settings: initialSettings(providerOf(channel?.provider ?? null), channel),
      rate_per_second: channel?.rate_per_second ?? '',
      daily_cap: channel?.daily_cap ?? '',
      is_default: channel?.is_default ?? false,
    },
    validate: {
      provider: (value) => (value ? null : t('validation.required')),
    },
  });
  const provider = providerOf(form.values.provider);

  const submit = form.onSubmit((values) => {
    const settings: Record<string, unknown> = {};
    for (const field of provider?.fields ?? []) {
      const value = values.settings[field.name];
      if (field.secret && (value === '' || value === MASK)) continue; // unchanged
      settings[field.name] = value === '' ? null : value;
    }
    const body = {
      name: values.name.trim() || undefined,
      settings,
      rate_per_second: values.rate_per_second === '' ? undefined : Number(values.rate_per_second),
      daily_cap: values.daily_cap === '' ? null : Number(values.daily_cap),
      is_default: values.is_default,
    };
    const handlers = {
      onSuccess: (saved: Channel) => {
        notifySuccess(
          channel
            ? t('channelSettings.saved', { name: saved.name })
            : t('channelSettings.created', { name: saved.name }),
        );
        onClose();
      },
      onError: (error: unknown) => {
        let placed = false;
        if (isApiError(error))
          for (const detail of error.details) {
            const field = detail.path.replace(/^\//, '').replaceAll('/', '.');
            form.setFieldError(field, detail.message);
            placed = true;
          }
        if (!placed) notifyError(errorMessage(error));
      },
    };
    if (channel) update.mutate({ id: channel.id, patch: body }, handlers);
    else create.mutate({ ...body, provider: values.provider ?? undefined }, handlers);
  });

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        {channel ? null : (
          <Select
            label={t('channelSettings.provider')}
            required
            data-autofocus
            data={providers.map((p) => ({
              value: p.provider,
              label: t(`channelSettings.providers.${p.provider}`),
            }))}
            {...form.getInputProps('provider')}
            onChange={(value) => {
              const next = providerOf(value as ProviderId | null);
              form.setValues({
                provider: value as ProviderId | null,
                settings: initialSettings(next, null),
                rate_per_second: next?.limits.rate_per_second ?? '',
                daily_cap: next?.limits.daily_cap ?? '',
              });
            }}
          />
        )}
        {provider ? (
          <>
            <TextInput
              label={t('channelSettings.name')}
              placeholder={t(`channelSettings.providers.${provider.provider}`)}
              maxLength={100}
              {...form.getInputProps('name')}
            />
            {provider.fields.map((field) => {
              const key = `settings.${field.name}`;
              const label = t(`channelSettings.fields.${field.name}.label`, {
                defaultValue: field.name.replaceAll('_', ' '),
              });
              const help = t(`channelSettings.fields.${field.name}.help`, {
                defaultValue: field.description,
              });
              if (field.type === 'boolean')
                return (
                  <Switch
                    key={key}
                    label={label}
                    description={help}
                    {...form.getInputProps(key, { type: 'checkbox' })}
                  />
                );
              if (field.type === 'integer')
                return (
                  <NumberInput
                    key={key}
                    label={label}
                    description={help}
                    required={field.required}
                    min={0}
                    max={65535}
                    {...form.getInputProps(key)}
                  />
                );
              if (field.secret)
                return (
                  <PasswordInput
                    key={key}
                    label={label}
                    description={help}
                    required={field.required && !channel?.secrets_set.includes(field.name)}
                    placeholder={
                      channel?.secrets_set.includes(field.name) ? t('channelSettings.secretKept') : undefined
                    }
                    autoComplete="new-password"
                    {...form.getInputProps(key)}
                    value={
                      form.values.settings[field.name] === MASK
                        ? ''
                        : String(form.values.settings[field.name] ?? '')
                    }
                  />
                );
              if (field.name === 'dkim_private_key' || field.name === 'sendgrid_webhook_public_key')
                return (
                  <Textarea
                    key={key}
                    label={label}
                    description={help}
                    autosize
                    minRows={2}
                    {...form.getInputProps(key)}
                  />
                );
              return (
                <TextInput
                  key={key}
                  label={label}
                  description={help}
                  required={field.required}
                  {...form.getInputProps(key)}
                />
              );
            })}
            <Group grow align="flex-start">
              <NumberInput
                label={t('channelSettings.rateLabel')}
                description={t('channelSettings.rateHelp', { count: provider.limits.rate_per_second })}
                min={1}
                max={10000}
                {...form.getInputProps('rate_per_second')}
              />
              <NumberInput
                label={t('channelSettings.capLabel')}
                description={t('channelSettings.capHelp')}
                min={1}
                placeholder={t('channelSettings.noCap')}
                {...form.getInputProps('daily_cap')}
              />
            </Group>
            <Text size="xs" c="dimmed">
              {t('channelSettings.limitsSource', { source: provider.limits.source })}
            </Text>
            <Switch
              label={t('channelSettings.makeDefault')}
              {...form.getInputProps('is_default', { type: 'checkbox' })}
              disabled={channel?.is_default}
            />
          </>
        ) : null}
        <CrudFormButtons
          editing={Boolean(channel)}
          createLabel={t('channelSettings.create')}
          loading={create.isPending || update.isPending}
          onCancel={onClose}
        />
      </Stack>
    </form>
  );
}

function TestForm({ channel, onClose }: { channel: Channel; onClose: () => void }) {
  const { t } = useTranslation();
  const test = useTestChannel();
  const errorMessage = useErrorMessage();
  const [result, setResult] = useState<TestResult | null>(null);
  const form = useForm({
    initialValues: { to: '', kind: channel.kinds[0] as ChannelKind, text: '' },
    // A result belongs to what was sent: editing the message or recipient clears it.
    onValuesChange: () => setResult(null),
    validate: { to: (value) => (value.trim() ? null : t('validation.required')) },
  });
  const submit = form.onSubmit((values) => {
    setResult(null);
    test.mutate(
      { id: channel.id, to: values.to.trim(), kind: values.kind, text: values.text },
      {
        onSuccess: setResult,
        onError: (error) => {
          const detail = isApiError(error) ? error.details.find((d) => d.path === '/to') : undefined;
          if (detail) form.setFieldError('to', detail.message);
          else notifyError(errorMessage(error));
        },
      },
    );
  });
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        {channel.kinds.length > 1 ? (
          <Select
            label={t('channelSettings.testKind')}
            data={channel.kinds.map((kind) => ({ value: kind, label: t(`channelSettings.kinds.${kind}`) }))}
            allowDeselect={false}
            {...form.getInputProps('kind')}
          />
        ) : null}
        <TextInput
          label={
            form.values.kind === 'email' ? t('channelSettings.testToEmail') : t('channelSettings.testToPhone')
          }
          placeholder={form.values.kind === 'email' ? 'you@example.com' : '+34600111222'}
          required
          data-autofocus
          {...form.getInputProps('to')}
        />
        <Textarea
          label={t('channelSettings.testText')}
          placeholder={t('channelSettings.testTextPlaceholder')}
          autosize
          minRows={2}
          maxLength={1600}
          {...form.getInputProps('text')}
        />
        {form.values.kind === 'sms' ? (
          <SmsCounter text={form.values.text || t('channelSettings.testTextPlaceholder')} />
        ) : null}
        {result ? (
          <Alert
            color={result.status === 'sent' ? 'green' : result.status === 'unknown' ? 'yellow' : 'red'}
            title={t(`channelSettings.testResult.${result.status}`)}
            role="status"
          >
            {result.error
              ? `${result.error.code}: ${result.error.message}`
              : t('channelSettings.testSentText', { id: result.provider_message_id ?? '' })}
          </Alert>
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('common.done')}
          </Button>
          <Button type="submit" loading={test.isPending} leftSection={<IconSend size={16} aria-hidden />}>
            {t('channelSettings.sendTest')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** Segments and encoding while composing: the same count the carrier bills. */
function SmsCounter({ text }: { text: string }) {
  const { t } = useTranslation();
  const length = smsLength(text);
  return (
    <Text
      size="xs"
      c={length.encoding === 'UCS-2' ? 'orange.8' : 'dimmed'}
      aria-live="polite"
      data-testid="sms-counter"
    >
      {t('channelSettings.smsLength', {
        count: length.segments,
        encoding: length.encoding,
        remaining: length.remaining,
      })}
    </Text>
  );
}

/** Only approved templates may start a conversation; this is what campaigns will be offered. */
function ApprovedTemplates({ channelId }: { channelId: string }) {
  const { t } = useTranslation();
  const templates = useWhatsappTemplates(channelId, true);
  if (!templates.data) return null;
  if (!templates.data.length)
    return (
      <Text size="sm" c="dimmed">
        {t('channelSettings.noTemplates')}
      </Text>
    );
  return (
    <Stack gap={4} aria-label={t('channelSettings.approvedTemplates')} role="group">
      <Text size="sm" fw={500}>
        {t('channelSettings.approvedTemplates')}
      </Text>
      <Group gap={6}>
        {templates.data.map((template) => (
          <Badge key={template.id} variant="outline" color="gray" tt="none">
            {template.name} · {template.language}
          </Badge>
        ))}
      </Group>
    </Stack>
  );
}
