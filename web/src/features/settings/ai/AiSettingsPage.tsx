import {
  Alert,
  Badge,
  Button,
  Group,
  List,
  NumberInput,
  PasswordInput,
  Progress,
  SimpleGrid,
  Skeleton,
  Stack,
  Switch,
  TagsInput,
  Text,
  TextInput,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconInfoCircle, IconLock } from '@tabler/icons-react';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import {
  AI_KEY_MASK,
  type AiSettings,
  type AiSettingsPatch,
  useAiSettings,
  useUpdateAiSettings,
} from '../../../api/ai';
import { useMe } from '../../../api/me';
import { hasRole } from '../../../lib/roles';
import { useErrorMessage } from '../../../ui/errors';
import { notifyError, notifySuccess } from '../../../ui/notify';
import { QueryError } from '../../../ui/QueryError';
import { SettingsPage } from '../../../ui/SettingsPage';
import { SettingsSection } from '../../../ui/SettingsSection';
import { applyServerErrors } from '../../../ui/server-errors';

interface Values {
  base_url: string;
  model: string;
  api_key: string;
  share_client_details: boolean;
  forbidden_claims: string[];
  monthly_token_budget: number | string;
  requests_per_minute: number | string;
}

const FIELDS = [
  'base_url',
  'model',
  'api_key',
  'share_client_details',
  'forbidden_claims',
  'monthly_token_budget',
  'requests_per_minute',
] as const;

function toValues(settings: AiSettings): Values {
  return {
    base_url: settings.base_url ?? '',
    model: settings.model ?? '',
    api_key: settings.api_key ?? '',
    share_client_details: settings.share_client_details,
    forbidden_claims: settings.forbidden_claims,
    monthly_token_budget: settings.monthly_token_budget ?? '',
    requests_per_minute: settings.requests_per_minute ?? '',
  };
}

/** Settings › AI: the provider, what may leave the machine, forbidden claims, budget and the month's usage. */
export function AiSettingsPage() {
  const { t } = useTranslation();
  const settings = useAiSettings();
  return (
    <SettingsPage title={t('ai.settings.title')} description={t('ai.settings.description')}>
      {settings.error && !settings.data ? (
        <QueryError error={settings.error} onRetry={() => void settings.refetch()} />
      ) : settings.data ? (
        <AiSettingsForm settings={settings.data} />
      ) : (
        <Stack>
          <Skeleton h={36} />
          <Skeleton h={36} />
        </Stack>
      )}
    </SettingsPage>
  );
}

function AiSettingsForm({ settings }: { settings: AiSettings }) {
  const { t, i18n } = useTranslation();
  const { data: me } = useMe();
  const canEdit = hasRole(me?.role, 'admin');
  const update = useUpdateAiSettings();
  const errorMessage = useErrorMessage();
  const form = useForm<Values>({ initialValues: toValues(settings) });

  // biome-ignore lint/correctness/useExhaustiveDependencies: reset only when the server copy changes
  useEffect(() => {
    form.setInitialValues(toValues(settings));
    form.setValues(toValues(settings));
    form.resetDirty();
  }, [settings]);

  function submit(values: Values) {
    const patch: AiSettingsPatch = {};
    if (form.isDirty('base_url')) patch.base_url = values.base_url.trim() || null;
    if (form.isDirty('model')) patch.model = values.model.trim() || null;
    if (form.isDirty('api_key')) patch.api_key = values.api_key.trim() || null;
    if (form.isDirty('share_client_details')) patch.share_client_details = values.share_client_details;
    if (form.isDirty('forbidden_claims')) patch.forbidden_claims = values.forbidden_claims;
    if (form.isDirty('monthly_token_budget'))
      patch.monthly_token_budget =
        values.monthly_token_budget === '' ? null : Number(values.monthly_token_budget);
    if (form.isDirty('requests_per_minute'))
      patch.requests_per_minute =
        values.requests_per_minute === '' ? null : Number(values.requests_per_minute);
    update.mutate(patch, {
      onSuccess: () => notifySuccess(t('ai.settings.saved')),
      onError: (error) => {
        if (!applyServerErrors(form, error, FIELDS)) notifyError(errorMessage(error));
      },
    });
  }

  const usage = settings.usage;
  const percent = usage.budget > 0 ? Math.min(100, (usage.tokens_used / usage.budget) * 100) : 100;
  const number = (n: number) => n.toLocaleString(i18n.resolvedLanguage);
  const renews = new Date(usage.renews_at).toLocaleDateString(i18n.resolvedLanguage, {
    day: 'numeric',
    month: 'long',
  });

  return (
    <form onSubmit={form.onSubmit(submit)}>
      <Stack gap="lg">
        {!canEdit ? (
          <Alert variant="light" color="blue" icon={<IconInfoCircle size={20} aria-hidden />}>
            {t('ai.settings.readOnly')}
          </Alert>
        ) : null}
        <SettingsSection
          title={t('ai.settings.provider')}
          description={t('ai.settings.providerHelp')}
          action={
            settings.configured ? (
              <Badge color="teal" variant="light">
                {settings.source === 'server'
                  ? t('ai.settings.usingServer', { model: settings.effective_model })
                  : t('ai.settings.usingWorkspace', { model: settings.effective_model })}
              </Badge>
            ) : (
              <Badge color="gray" variant="light">
                {t('ai.settings.off')}
              </Badge>
            )
          }
        >
          <Stack>
            {!settings.configured ? <Text size="sm">{t('ai.settings.notConfigured')}</Text> : null}
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <TextInput
                label={t('ai.settings.baseUrl')}
                description={t('ai.settings.baseUrlHelp')}
                placeholder="https://api.openai.com/v1"
                readOnly={!canEdit}
                {...form.getInputProps('base_url')}
              />
              <TextInput
                label={t('ai.settings.model')}
                description={t('ai.settings.modelHelp')}
                placeholder={settings.server.model ?? 'gpt-4o-mini'}
                readOnly={!canEdit}
                {...form.getInputProps('model')}
              />
            </SimpleGrid>
            <PasswordInput
              label={t('ai.settings.apiKey')}
              description={
                settings.api_key === AI_KEY_MASK ? t('ai.settings.apiKeySet') : t('ai.settings.apiKeyHelp')
              }
              readOnly={!canEdit}
              autoComplete="off"
              {...form.getInputProps('api_key')}
            />
            {settings.server.configured ? (
              <Text size="xs" c="dimmed">
                {t('ai.settings.serverDefault', { model: settings.server.model })}
              </Text>
            ) : null}
          </Stack>
        </SettingsSection>

        <SettingsSection title={t('ai.settings.privacy')} description={t('ai.settings.privacyHelp')}>
          <Stack gap="sm">
            <Alert variant="light" color="gray" icon={<IconLock size={18} aria-hidden />}>
              <Text size="sm" fw={500}>
                {t('ai.settings.alwaysSent')}
              </Text>
              <List size="sm">
                <List.Item>{t('ai.settings.sentInstructions')}</List.Item>
                <List.Item>{t('ai.settings.sentFacts')}</List.Item>
              </List>
              <Text size="sm" mt="xs">
                {t('ai.settings.neverSent')}
              </Text>
            </Alert>
            <Switch
              label={t('ai.settings.shareDetails')}
              description={t('ai.settings.shareDetailsHelp')}
              disabled={!canEdit}
              {...form.getInputProps('share_client_details', { type: 'checkbox' })}
            />
          </Stack>
        </SettingsSection>

        <SettingsSection title={t('ai.settings.claims')} description={t('ai.settings.claimsHelp')}>
          <TagsInput
            label={t('ai.settings.claimsLabel')}
            placeholder={t('ai.settings.claimsPlaceholder')}
            readOnly={!canEdit}
            clearable
            splitChars={[',', ';']}
            {...form.getInputProps('forbidden_claims')}
          />
        </SettingsSection>

        <SettingsSection title={t('ai.settings.budget')} description={t('ai.settings.budgetHelp')}>
          <Stack>
            <Stack gap={4} aria-label={t('ai.settings.usage')}>
              <Group justify="space-between">
                <Text size="sm" fw={500}>
                  {t('ai.settings.usageLine', {
                    used: number(usage.tokens_used),
                    budget: number(usage.budget),
                  })}
                </Text>
                <Text size="sm" c="dimmed">
                  {t('ai.settings.renews', { date: renews })}
                </Text>
              </Group>
              <Progress
                value={percent}
                color={percent >= 100 ? 'red' : percent >= 80 ? 'orange' : 'teal'}
                aria-label={t('ai.settings.usage')}
              />
              <Text size="xs" c="dimmed">
                {t('ai.settings.requestsLine', { count: usage.requests, failed: usage.failed_requests })}
              </Text>
            </Stack>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <NumberInput
                label={t('ai.settings.monthlyBudget')}
                description={t('ai.settings.defaultValue', {
                  value: number(settings.server.monthly_token_budget),
                })}
                min={0}
                thousandSeparator=" "
                readOnly={!canEdit}
                {...form.getInputProps('monthly_token_budget')}
              />
              <NumberInput
                label={t('ai.settings.perMinute')}
                description={t('ai.settings.defaultValue', { value: settings.server.requests_per_minute })}
                min={1}
                readOnly={!canEdit}
                {...form.getInputProps('requests_per_minute')}
              />
            </SimpleGrid>
          </Stack>
        </SettingsSection>

        {canEdit ? (
          <Group justify="flex-end">
            <Button type="submit" loading={update.isPending} disabled={!form.isDirty()}>
              {t('ai.settings.save')}
            </Button>
          </Group>
        ) : null}
      </Stack>
    </form>
  );
}
