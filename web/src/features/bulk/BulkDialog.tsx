import {
  Alert,
  Anchor,
  Button,
  Checkbox,
  Group,
  List,
  Loader,
  Modal,
  MultiSelect,
  NumberInput,
  Paper,
  Progress,
  ScrollArea,
  SegmentedControl,
  Select,
  Stack,
  Switch,
  TagsInput,
  Text,
  TextInput,
} from '@mantine/core';
import { IconAlertTriangle, IconCircleCheck } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import {
  BULK_SETTABLE_FIELDS,
  type BulkActionName,
  type BulkSelection,
  useBulkAction,
  useBulkPreview,
  useCancelBulkAction,
  useStartBulkAction,
} from '../../api/bulk';
import { isApiError } from '../../api/client';
import { useCustomFields } from '../../api/custom-fields';
import { DEFAULT_EXPORT_FIELDS, EXPORT_FIELDS } from '../../api/exports';
import { useLabels } from '../../api/labels';
import { useMembers } from '../../api/members';
import { useTags } from '../../api/tags';
import { type PreviewInput, useTemplatePreview, useTemplates } from '../../api/templates';
import { useErrorMessage } from '../../ui/errors';

type Channel = 'email' | 'sms' | 'whatsapp';

/** The values of every action's form; each action reads the ones it needs. */
interface FormState {
  tags: string[];
  label: string | null;
  field: string | null;
  value: string;
  customKey: string | null;
  customValue: unknown;
  userId: string | null;
  channel: Channel;
  templateId: string | null;
  name: string;
  at: string;
  format: 'csv' | 'xlsx' | 'json' | 'ndjson';
  fields: string[];
  discountType: 'percentage' | 'fixed';
  discountValue: number | string;
  currency: string;
  validDays: number | string;
  usageLimit: number | string;
  prefix: string;
  reason: string;
  notify: boolean;
  confirm: string;
}

const INITIAL: FormState = {
  tags: [],
  label: null,
  field: null,
  value: '',
  customKey: null,
  customValue: null,
  userId: null,
  channel: 'email',
  templateId: null,
  name: '',
  at: '',
  format: 'csv',
  fields: [...DEFAULT_EXPORT_FIELDS],
  discountType: 'percentage',
  discountValue: 10,
  currency: 'EUR',
  validDays: 30,
  usageLimit: 1,
  prefix: '',
  reason: '',
  notify: false,
  confirm: '',
};

function bodyOf(action: BulkActionName, f: FormState, selection: BulkSelection): Record<string, unknown> {
  const at = f.at ? new Date(f.at).toISOString() : undefined;
  switch (action) {
    case 'add_tags':
    case 'remove_tags':
      return { selection, tags: f.tags };
    case 'set_label':
      return { selection, label: f.label };
    case 'set_field':
      return { selection, field: f.field, value: f.value.trim() || null };
    case 'set_custom_field':
      return { selection, key: f.customKey, value: f.customValue === '' ? null : f.customValue };
    case 'assign_manager':
      return { selection, user_id: f.userId };
    case 'send':
      return {
        selection,
        channel: f.channel,
        template_id: f.templateId ?? undefined,
        name: f.name.trim() || undefined,
        at,
      };
    case 'export':
      return { selection, format: f.format, fields: f.fields };
    case 'coupons':
      return {
        selection,
        discount_type: f.discountType,
        discount_value: Number(f.discountValue),
        currency: f.discountType === 'fixed' ? f.currency : undefined,
        valid_days: Number(f.validDays),
        usage_limit: Number(f.usageLimit),
        prefix: f.prefix.trim() || undefined,
        reason: f.reason.trim() || undefined,
        notify: f.notify && f.templateId ? { channel: f.channel, template_id: f.templateId } : undefined,
      };
    case 'delete':
    case 'archive':
    case 'unarchive':
      return { selection, confirm_count: Number(f.confirm) };
  }
}

function ready(action: BulkActionName, f: FormState, count: number | undefined): boolean {
  switch (action) {
    case 'add_tags':
    case 'remove_tags':
      return f.tags.length > 0;
    case 'set_field':
      return Boolean(f.field);
    case 'set_custom_field':
      return Boolean(f.customKey);
    case 'send':
      return Boolean(f.templateId);
    case 'export':
      return f.fields.length > 0;
    case 'coupons':
      return Number(f.discountValue) > 0 && (!f.notify || Boolean(f.templateId));
    case 'delete':
    case 'archive':
    case 'unarchive':
      return count !== undefined && f.confirm.trim() === String(count);
    default:
      return true;
  }
}

/**
 * One bulk action: its form, the exact number of clients it will touch (counted by the server
 * now), then its progress (a job from 1,000 clients on, cancellable) and what it did.
 */
export function BulkDialog({
  action,
  selection,
  onClose,
}: {
  action: BulkActionName;
  selection: BulkSelection;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const errorMessage = useErrorMessage();
  const preview = useBulkPreview(selection, true, action);
  const start = useStartBulkAction();
  const cancel = useCancelBulkAction();
  const [form, setForm] = useState<FormState>(INITIAL);
  const [actionId, setActionId] = useState<string | null>(null);
  const tracked = useBulkAction(actionId);
  const set = <K extends keyof FormState>(key: K, value: FormState[K]) =>
    setForm((f) => ({ ...f, [key]: value }));
  const count = preview.data?.count;
  const run = tracked.data;
  const error = start.error;
  const problems = isApiError(error) ? error.details : [];

  const submit = () =>
    start.mutate(
      { action, body: bodyOf(action, form, selection) },
      { onSuccess: (data) => setActionId(data.id) },
    );

  return (
    <Modal opened onClose={onClose} title={t(`bulk.action.${action}`)} size="lg">
      {run ? (
        <BulkProgress
          run={run}
          onCancel={() => cancel.mutate(run.id)}
          cancelling={cancel.isPending}
          onClose={onClose}
        />
      ) : (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (ready(action, form, count)) submit();
          }}
        >
          <Stack gap="md">
            <Text size="sm" aria-live="polite" data-testid="bulk-count">
              {preview.isPending ? (
                <Loader size="xs" />
              ) : count === undefined ? (
                t('bulk.countFailed')
              ) : (
                t(`bulk.willTouch.${action}`, { count })
              )}
            </Text>
            {count === 0 ? <Alert color="yellow">{t('bulk.nobody')}</Alert> : null}
            <ActionFields
              action={action}
              form={form}
              set={set}
              count={count}
              sampleClientId={preview.data?.sample_client_ids[0]}
            />
            {error ? (
              <Alert color="red" icon={<IconAlertTriangle size={18} aria-hidden />} role="alert">
                {errorMessage(error)}
                {problems.length ? (
                  <List size="sm" mt={4}>
                    {problems.map((p) => (
                      <List.Item key={`${p.path}${p.message}`}>
                        {p.path}: {p.message}
                      </List.Item>
                    ))}
                  </List>
                ) : null}
              </Alert>
            ) : null}
            <Group justify="flex-end">
              <Button variant="default" onClick={onClose}>
                {t('common.cancel')}
              </Button>
              <Button
                type="submit"
                color={action === 'delete' ? 'red' : undefined}
                loading={start.isPending}
                disabled={!count || !ready(action, form, count)}
              >
                {t(`bulk.confirm.${action}`, { count: count ?? 0 })}
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}

function ActionFields({
  action,
  form,
  set,
  count,
  sampleClientId,
}: {
  action: BulkActionName;
  form: FormState;
  set: <K extends keyof FormState>(key: K, value: FormState[K]) => void;
  count: number | undefined;
  sampleClientId: string | undefined;
}) {
  const { t } = useTranslation();
  const tags = useTags();
  const labels = useLabels();
  const members = useMembers();
  const customFields = useCustomFields();
  const templates = useTemplates();
  const templateOptions = (templates.data ?? [])
    .filter((tpl) => tpl.channel === form.channel)
    .map((tpl) => ({ value: tpl.id, label: tpl.name }));
  const template = (templates.data ?? []).find((tpl) => tpl.id === form.templateId);
  const messagePreview =
    template && sampleClientId ? (
      <MessagePreview
        input={{
          channel: template.channel,
          subject: template.subject ?? undefined,
          body: template.body,
          marketing: template.marketing,
          client_id: sampleClientId,
        }}
      />
    ) : null;
  const channelPicker = (
    <SegmentedControl
      value={form.channel}
      onChange={(value) => {
        set('channel', value as Channel);
        set('templateId', null);
      }}
      data={(['email', 'sms', 'whatsapp'] as const).map((c) => ({ value: c, label: t(`bulk.channel.${c}`) }))}
    />
  );
  const templatePicker = (
    <Select
      label={t('bulk.template')}
      placeholder={t('bulk.templatePlaceholder')}
      data={templateOptions}
      value={form.templateId}
      onChange={(value) => set('templateId', value)}
      nothingFoundMessage={t('bulk.noTemplates')}
      searchable
      required
    />
  );
  switch (action) {
    case 'add_tags':
    case 'remove_tags':
      return (
        <TagsInput
          label={t('bulk.tags')}
          description={t('bulk.tagsHelp')}
          data={(tags.data ?? []).map((tag) => tag.name)}
          value={form.tags}
          onChange={(value) => set('tags', value)}
          data-autofocus
        />
      );
    case 'set_label':
      return (
        <Select
          label={t('bulk.label')}
          placeholder={t('bulk.noLabel')}
          data={(labels.data ?? []).map((l) => ({ value: l.key, label: l.name }))}
          value={form.label}
          onChange={(value) => set('label', value)}
          clearable
        />
      );
    case 'set_field':
      return (
        <Group grow align="flex-start">
          <Select
            label={t('bulk.field')}
            data={BULK_SETTABLE_FIELDS.map((f) => ({ value: f, label: t(`bulk.fields.${f}`) }))}
            value={form.field}
            onChange={(value) => set('field', value)}
            required
          />
          <TextInput
            label={t('bulk.value')}
            description={t('bulk.valueHelp')}
            value={form.value}
            onChange={(event) => set('value', event.currentTarget.value)}
          />
        </Group>
      );
    case 'set_custom_field': {
      const field = (customFields.data ?? []).find((f) => f.key === form.customKey);
      return (
        <Stack gap="sm">
          <Select
            label={t('bulk.customField')}
            data={(customFields.data ?? [])
              .filter((f) => !f.archived_at)
              .map((f) => ({ value: f.key, label: f.label }))}
            value={form.customKey}
            onChange={(value) => {
              set('customKey', value);
              set('customValue', null);
            }}
            required
          />
          {field?.type === 'boolean' ? (
            <Switch
              label={t('bulk.value')}
              checked={form.customValue === true}
              onChange={(event) => set('customValue', event.currentTarget.checked)}
            />
          ) : field?.type === 'select' ? (
            <Select
              label={t('bulk.value')}
              data={field.options}
              value={(form.customValue as string) ?? null}
              onChange={(value) => set('customValue', value)}
              clearable
            />
          ) : field?.type === 'multi_select' ? (
            <MultiSelect
              label={t('bulk.value')}
              data={field.options}
              value={(form.customValue as string[]) ?? []}
              onChange={(value) => set('customValue', value)}
            />
          ) : field?.type === 'number' ? (
            <NumberInput
              label={t('bulk.value')}
              value={(form.customValue as number) ?? ''}
              onChange={(value) => set('customValue', value === '' ? null : Number(value))}
            />
          ) : field ? (
            <TextInput
              label={t('bulk.value')}
              description={field.type === 'date' ? 'YYYY-MM-DD' : t('bulk.valueHelp')}
              value={(form.customValue as string) ?? ''}
              onChange={(event) => set('customValue', event.currentTarget.value)}
            />
          ) : null}
        </Stack>
      );
    }
    case 'assign_manager':
      return (
        <Select
          label={t('bulk.manager')}
          placeholder={t('bulk.noManager')}
          data={(members.data ?? []).map((m) => ({ value: m.user_id, label: m.name || m.email }))}
          value={form.userId}
          onChange={(value) => set('userId', value)}
          clearable
          searchable
        />
      );
    case 'send':
      return (
        <Stack gap="sm">
          {channelPicker}
          {templatePicker}
          {messagePreview}
          <TextInput
            label={t('bulk.campaignName')}
            value={form.name}
            onChange={(event) => set('name', event.currentTarget.value)}
          />
          <TextInput
            type="datetime-local"
            label={t('bulk.schedule')}
            description={t('bulk.scheduleHelp')}
            value={form.at}
            onChange={(event) => set('at', event.currentTarget.value)}
          />
          <Text size="xs" c="dimmed">
            {t('bulk.sendHelp')}
          </Text>
        </Stack>
      );
    case 'export':
      return (
        <Stack gap="sm">
          <Select
            label={t('bulk.format')}
            data={['csv', 'xlsx', 'json', 'ndjson'].map((f) => ({ value: f, label: f.toUpperCase() }))}
            value={form.format}
            onChange={(value) => set('format', (value ?? 'csv') as FormState['format'])}
            allowDeselect={false}
          />
          <MultiSelect
            label={t('bulk.exportFields')}
            data={[...EXPORT_FIELDS, ...(customFields.data ?? []).map((f) => `custom.${f.key}`)]}
            value={form.fields}
            onChange={(value) => set('fields', value)}
            searchable
          />
        </Stack>
      );
    case 'coupons':
      return (
        <Stack gap="sm">
          <SegmentedControl
            value={form.discountType}
            onChange={(value) => set('discountType', value as FormState['discountType'])}
            data={[
              { value: 'percentage', label: t('bulk.coupon.percentage') },
              { value: 'fixed', label: t('bulk.coupon.fixed') },
            ]}
          />
          <Group grow align="flex-start">
            <NumberInput
              label={t('bulk.coupon.value')}
              min={0}
              max={form.discountType === 'percentage' ? 100 : undefined}
              suffix={form.discountType === 'percentage' ? ' %' : undefined}
              value={form.discountValue}
              onChange={(value) => set('discountValue', value)}
              required
            />
            {form.discountType === 'fixed' ? (
              <TextInput
                label={t('bulk.coupon.currency')}
                value={form.currency}
                maxLength={3}
                onChange={(event) => set('currency', event.currentTarget.value.toUpperCase())}
              />
            ) : null}
          </Group>
          <Group grow align="flex-start">
            <NumberInput
              label={t('bulk.coupon.validDays')}
              min={1}
              max={3650}
              value={form.validDays}
              onChange={(value) => set('validDays', value)}
            />
            <NumberInput
              label={t('bulk.coupon.usageLimit')}
              min={1}
              max={1000}
              value={form.usageLimit}
              onChange={(value) => set('usageLimit', value)}
            />
          </Group>
          <Group grow align="flex-start">
            <TextInput
              label={t('bulk.coupon.prefix')}
              description={t('bulk.coupon.prefixHelp')}
              value={form.prefix}
              maxLength={12}
              onChange={(event) => set('prefix', event.currentTarget.value.toUpperCase())}
            />
            <TextInput
              label={t('bulk.coupon.reason')}
              value={form.reason}
              onChange={(event) => set('reason', event.currentTarget.value)}
            />
          </Group>
          <Checkbox
            label={t('bulk.coupon.notify')}
            description={t('bulk.coupon.notifyHelp')}
            checked={form.notify}
            onChange={(event) => set('notify', event.currentTarget.checked)}
          />
          {form.notify ? (
            <>
              {channelPicker}
              {templatePicker}
              {messagePreview}
            </>
          ) : null}
        </Stack>
      );
    case 'delete':
    case 'archive':
    case 'unarchive':
      return (
        <Stack gap="sm">
          <Alert
            color={action === 'delete' ? 'red' : action === 'archive' ? 'orange' : 'blue'}
            icon={<IconAlertTriangle size={18} aria-hidden />}
          >
            {t(`bulk.${action}Warning`, { count: count ?? 0 })}
          </Alert>
          <TextInput
            label={t('bulk.typeCount', { count: count ?? 0 })}
            value={form.confirm}
            inputMode="numeric"
            autoComplete="off"
            onChange={(event) => set('confirm', event.currentTarget.value)}
            data-autofocus
          />
        </Stack>
      );
  }
}

/** The chosen template as one member of the selection will get it (coupon values show once issued). */
function MessagePreview({ input }: { input: PreviewInput }) {
  const { t } = useTranslation();
  const preview = useTemplatePreview(input);
  if (preview.isPending) return <Loader size="xs" />;
  if (!preview.data) return null;
  return (
    <Paper withBorder p="sm" radius="md" data-testid="bulk-message-preview">
      <Text size="xs" c="dimmed" mb={4}>
        {t('bulk.previewFor')}
      </Text>
      {preview.data.subject ? (
        <Text size="sm" fw={600}>
          {preview.data.subject}
        </Text>
      ) : null}
      <ScrollArea.Autosize mah={140}>
        <Text size="sm" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
          {preview.data.text}
        </Text>
      </ScrollArea.Autosize>
    </Paper>
  );
}

const SKIP_REASONS = [
  'already_tagged',
  'not_tagged',
  'unchanged',
  'gone',
  'already_has_coupon',
  'already_archived',
  'not_archived',
] as const;
function skipReason(reason: string): (typeof SKIP_REASONS)[number] | 'skipped' {
  return (SKIP_REASONS as readonly string[]).includes(reason)
    ? (reason as (typeof SKIP_REASONS)[number])
    : 'skipped';
}

function BulkProgress({
  run,
  onCancel,
  cancelling,
  onClose,
}: {
  run: NonNullable<ReturnType<typeof useBulkAction>['data']>;
  onCancel: () => void;
  cancelling: boolean;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const active = run.status === 'queued' || run.status === 'running';
  const exported = run.result.export;
  const exporting = run.action === 'export' && exported && !['completed', 'failed'].includes(exported.status);
  const percent =
    run.action === 'export' && exported
      ? exported.total_rows
        ? (100 * exported.processed_rows) / exported.total_rows
        : exported.status === 'completed'
          ? 100
          : 0
      : run.total
        ? (100 * run.processed) / run.total
        : 100;
  return (
    <Stack gap="md" data-testid="bulk-progress">
      <Progress value={percent} animated={active || Boolean(exporting)} aria-label={t('bulk.progress')} />
      <Text size="sm" aria-live="polite">
        {active || exporting
          ? t('bulk.running', { processed: run.processed, total: run.total })
          : t(`bulk.status.${run.status}`)}
      </Text>
      {!active && run.status !== 'failed' ? (
        <Alert
          color={run.status === 'cancelled' ? 'yellow' : 'green'}
          icon={<IconCircleCheck size={18} aria-hidden />}
          data-testid="bulk-result"
        >
          <Text size="sm">{t(`bulk.done.${run.action}`, { count: run.done })}</Text>
          {run.skipped ? (
            <List size="sm" mt={4}>
              {run.skipped_by_reason.map((s) => (
                <List.Item key={s.reason}>
                  {t(`bulk.skipped.${skipReason(s.reason)}`, { count: s.count })}
                </List.Item>
              ))}
            </List>
          ) : null}
          {run.result.campaign_id ? (
            <Anchor component={Link} to={`/campaigns/${run.result.campaign_id}`} size="sm">
              {t('bulk.openCampaign')}
            </Anchor>
          ) : null}
          {run.action === 'coupons' && run.result.batch_id ? (
            <Anchor component={Link} to={`/coupons?batch=${run.result.batch_id}`} size="sm" ml="md">
              {t('bulk.openCoupons')}
            </Anchor>
          ) : null}
          {exported?.download_url ? (
            <Anchor href={exported.download_url} size="sm" display="block">
              {t('bulk.download')}
            </Anchor>
          ) : null}
        </Alert>
      ) : null}
      {run.status === 'failed' || exported?.status === 'failed' ? (
        <Alert color="red" role="alert">
          {run.error ?? exported?.error ?? t('bulk.status.failed')}
        </Alert>
      ) : null}
      <Group justify="flex-end">
        {active ? (
          <Button variant="default" color="red" onClick={onCancel} loading={cancelling}>
            {t('bulk.cancelRun')}
          </Button>
        ) : null}
        <Button onClick={onClose}>{active ? t('bulk.runInBackground') : t('common.done')}</Button>
      </Group>
    </Stack>
  );
}
