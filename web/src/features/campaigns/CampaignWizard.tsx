import {
  ActionIcon,
  Alert,
  Button,
  Card,
  Grid,
  Group,
  List,
  Loader,
  MultiSelect,
  NumberInput,
  Paper,
  Radio,
  SegmentedControl,
  Select,
  Stack,
  Stepper,
  Switch,
  Table,
  Tabs,
  Text,
  Textarea,
  TextInput,
  Title,
  Tooltip,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { modals } from '@mantine/modals';
import {
  IconAlertTriangle,
  IconClock,
  IconInfoCircle,
  IconPlus,
  IconTrash,
  IconUserMinus,
} from '@tabler/icons-react';
import dayjs from 'dayjs';
import { type KeyboardEvent, useCallback, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useParams } from 'react-router';
import { instantOfLocalTime } from '../../../../src/modules/campaigns/campaigns.time.ts';
import {
  type AbCriterion,
  type AbTestSettings,
  type Campaign,
  type CampaignAudience,
  type CampaignChannel,
  type CampaignContent,
  type CampaignReview,
  hourLabel,
  type QuietHours,
  type SingleContent,
  useCampaign,
  useCampaignReview,
  useCampaignSettings,
  useCreateCampaign,
  useExcludeClients,
  useExclusions,
  useIncludeAgain,
  useSendCampaign,
  useUpdateCampaign,
  type WhatsappTemplateFields,
} from '../../api/campaigns';
import { useChannels, useWhatsappTemplates } from '../../api/channels';
import { type SegmentNode, useSavedSegmentCount, useSegmentCount } from '../../api/segments';
import { type TemplateVariable, useTemplatePreview, useTemplates } from '../../api/templates';
import { useWorkspace } from '../../api/workspace';
import { useErrorMessage } from '../../ui/errors';
import { notifyError } from '../../ui/notify';
import { PageHeader } from '../../ui/PageHeader';
import { QueryError } from '../../ui/QueryError';
import { WriteWithAiPanel } from '../ai/WriteWithAiPanel';
import { SegmentPicker } from '../segments/SegmentPicker';
import { ClientPicker } from '../templates/ClientPicker';
import { MessagePreview } from '../templates/MessagePreview';
import {
  focusAfterInsert,
  insertAtCursor,
  isPickerHotkey,
  VariablePicker,
} from '../templates/VariablePicker';
import { AudienceBuilder } from './AudienceBuilder';
import { CostView, letter } from './CampaignFigures';
import { ClientMultiPicker } from './ClientMultiPicker';
import { TestSendCard } from './TestSendCard';

const ALL_CLIENTS = { all: [] };
type When = 'now' | 'at' | 'recipient';
type AudienceKind = 'all' | 'segment' | 'conditions' | 'clients';
type Determine = 'now' | 'at_send';
const CHANNELS: CampaignChannel[] = ['email', 'sms', 'whatsapp'];
const DEFAULT_AB: AbTestSettings = { test_share_percent: 20, criterion: 'opened', wait_hours: 4 };

/** One message's editable fields (a variant of an A/B test, or the only content). */
interface Draft {
  subject: string;
  body: string;
  whatsapp: WhatsappTemplateFields | null;
}

function audienceKindOf(audience: CampaignAudience | undefined): AudienceKind {
  if (!audience) return 'all';
  if ('segment_id' in audience) return 'segment';
  if ('client_ids' in audience) return 'clients';
  return (audience.definition as { all?: unknown[] }).all?.length === 0 &&
    Object.keys(audience.definition).length === 1
    ? 'all'
    : 'conditions';
}

function draftOf(content: SingleContent | undefined, placeholder: string): Draft {
  if (!content || 'template_id' in content) return { subject: '', body: '', whatsapp: null };
  return {
    subject: content.subject ?? '',
    // The draft was created with a placeholder text (the API needs one); the form starts empty instead.
    body: content.body === placeholder ? '' : content.body,
    whatsapp: content.whatsapp_template ?? null,
  };
}

/** `/campaigns/new` and `/campaigns/:id/edit`: the draft is created after Basics and saved at each step. */
export function CampaignWizard() {
  const { id } = useParams();
  const campaign = useCampaign(id);
  const { t } = useTranslation();
  if (id && campaign.error)
    return <QueryError error={campaign.error} onRetry={() => void campaign.refetch()} />;
  if (id && !campaign.data) return <Loader aria-label={t('campaigns.loading')} />;
  return <Wizard key={id ?? 'new'} campaign={campaign.data ?? null} />;
}

function Wizard({ campaign }: { campaign: Campaign | null }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const errorMessage = useErrorMessage();
  const [step, setStep] = useState(campaign ? 1 : 0);
  const [draftId, setDraftId] = useState(campaign?.id ?? null);

  const [name, setName] = useState(campaign?.name ?? '');
  const [objective, setObjective] = useState(campaign?.objective ?? '');
  const [channel, setChannel] = useState<CampaignChannel>(campaign?.channel ?? 'email');
  const [marketing, setMarketing] = useState(campaign?.marketing ?? true);
  const [channelId, setChannelId] = useState<string | null>(campaign?.channel_id ?? null);
  const [fallbacks, setFallbacks] = useState<CampaignChannel[]>(campaign?.fallback_channels ?? []);

  const audience = campaign?.audience;
  const [audienceKind, setAudienceKind] = useState<AudienceKind>(audienceKindOf(audience));
  const [segmentId, setSegmentId] = useState<string | null>(
    audience && 'segment_id' in audience ? audience.segment_id : null,
  );
  const initialTree =
    audience && 'definition' in audience && audienceKindOf(audience) === 'conditions'
      ? audience.definition
      : null;
  const [tree, setTree] = useState<{ definition: SegmentNode; complete: boolean } | null>(
    initialTree ? { definition: initialTree, complete: true } : null,
  );
  const onTree = useCallback(
    (definition: SegmentNode, complete: boolean) => setTree({ definition, complete }),
    [],
  );
  const [clientIds, setClientIds] = useState<string[]>(
    audience && 'client_ids' in audience ? audience.client_ids : [],
  );

  const content = campaign?.content;
  const variants = content && 'variants' in content ? content.variants : content ? [content] : [];
  const first = variants[0];
  const placeholder = t('campaigns.wizard.placeholderBody');
  const [source, setSource] = useState<'template' | 'inline'>(
    first && 'template_id' in first && variants.length === 1 ? 'template' : 'inline',
  );
  const [templateId, setTemplateId] = useState<string | null>(
    first && 'template_id' in first ? first.template_id : null,
  );
  const [drafts, setDrafts] = useState<Draft[]>(() =>
    variants.length ? variants.map((v) => draftOf(v, placeholder)) : [draftOf(undefined, placeholder)],
  );
  const [abOn, setAbOn] = useState(Boolean(campaign?.ab_test));
  const [ab, setAb] = useState<AbTestSettings>(
    campaign?.ab_test
      ? {
          test_share_percent: campaign.ab_test.test_share_percent,
          criterion: campaign.ab_test.criterion,
          wait_hours: campaign.ab_test.wait_hours,
        }
      : DEFAULT_AB,
  );

  const [when, setWhen] = useState<When>('now');
  /** `YYYY-MM-DDTHH:MM` on the workspace's clock (not the browser's). */
  const [at, setAt] = useState('');
  const zone = useWorkspace().data?.default_timezone ?? 'UTC';
  const [determine, setDetermine] = useState<Determine>('now');

  const create = useCreateCampaign();
  const update = useUpdateCampaign(draftId ?? '');
  const send = useSendCampaign(draftId ?? '');
  const saving = create.isPending || update.isPending;

  function inlineContent(forChannel: CampaignChannel): CampaignContent {
    const body = drafts[0]?.body ?? '';
    const subject = drafts[0]?.subject ?? '';
    const text = body.trim() ? body : placeholder;
    return forChannel === 'email' ? { subject: subject.trim() || name.trim(), body: text } : { body: text };
  }

  function draftContent(draft: Draft): SingleContent {
    return {
      ...(channel === 'email' ? { subject: draft.subject } : {}),
      body: draft.body,
      ...(channel === 'whatsapp' && draft.whatsapp?.name ? { whatsapp_template: draft.whatsapp } : {}),
    };
  }

  function audienceInput(): CampaignAudience {
    if (audienceKind === 'segment' && segmentId) return { segment_id: segmentId };
    if (audienceKind === 'conditions' && tree) return { definition: tree.definition };
    if (audienceKind === 'clients' && clientIds.length) return { client_ids: clientIds };
    return { definition: ALL_CLIENTS };
  }

  async function save(next: number) {
    try {
      if (step === 0) {
        if (!name.trim()) return;
        if (!draftId) {
          const created = await create.mutateAsync({
            name,
            objective: objective.trim() || null,
            channel,
            channel_id: channelId,
            fallback_channels: fallbacks,
            marketing,
            audience: { definition: ALL_CLIENTS } as CampaignAudience,
            content: inlineContent(channel),
          });
          setDraftId(created.id);
          const createdSubject = (created.content as { subject?: string }).subject ?? '';
          setDrafts((current) => current.map((d, i) => (i === 0 ? { ...d, subject: createdSubject } : d)));
          navigate(`/campaigns/${created.id}/edit`, { replace: true });
        } else {
          const channelChanged = campaign?.channel !== channel;
          await update.mutateAsync({
            name,
            objective: objective.trim() || null,
            channel,
            channel_id: channelId,
            fallback_channels: fallbacks,
            marketing,
            // A new channel needs content written for it (a subject only for email), and no A/B test yet.
            ...(channelChanged ? { content: inlineContent(channel), ab_test: null } : {}),
          });
          if (channelChanged) {
            setSource('inline');
            setTemplateId(null);
            setAbOn(false);
            setDrafts((current) => [{ ...(current[0] ?? draftOf(undefined, placeholder)), whatsapp: null }]);
          }
        }
      } else if (step === 1) {
        await update.mutateAsync({ audience: audienceInput() });
      } else if (step === 2) {
        if (!abOn && source === 'template' && !templateId) return;
        await update.mutateAsync(
          abOn
            ? { content: { variants: drafts.map(draftContent) }, ab_test: ab }
            : {
                content:
                  source === 'template' && templateId
                    ? { template_id: templateId }
                    : draftContent(drafts[0] ?? draftOf(undefined, placeholder)),
                ab_test: null,
              },
        );
      }
      setStep(next);
    } catch (error) {
      notifyError(errorMessage(error));
    }
  }

  function confirmSend() {
    modals.openConfirmModal({
      title: t('campaigns.wizard.confirmTitle'),
      children: <Text size="sm">{t('campaigns.wizard.confirmText', { name })}</Text>,
      labels: { confirm: t('campaigns.wizard.confirmSend'), cancel: t('common.cancel') },
      onConfirm: () =>
        send.mutate(
          when === 'now'
            ? {}
            : {
                at: instantOfLocalTime(at, zone).toISOString(),
                recipient_time_zone: when === 'recipient',
                determine_recipients: determine,
              },
          {
            onSuccess: (sent) => navigate(`/campaigns/${sent.id}`),
            onError: (error) => notifyError(errorMessage(error)),
          },
        ),
    });
  }

  const draftReady = (d: Draft) => d.body.trim() !== '' && (channel !== 'email' || d.subject.trim() !== '');
  const canContinue =
    step === 0
      ? name.trim() !== ''
      : step === 1
        ? audienceKind === 'all' ||
          (audienceKind === 'segment' && Boolean(segmentId)) ||
          (audienceKind === 'conditions' && Boolean(tree?.complete)) ||
          (audienceKind === 'clients' && clientIds.length > 0)
        : step === 2
          ? abOn
            ? drafts.length >= 2 && drafts.every(draftReady)
            : source === 'template'
              ? Boolean(templateId)
              : draftReady(drafts[0] ?? draftOf(undefined, placeholder))
          : step === 3
            ? when === 'now' || at !== ''
            : true;

  return (
    <>
      <PageHeader title={name.trim() || t('campaigns.new')} description={t('campaigns.wizard.description')} />
      <Stepper active={step} onStepClick={(s) => (draftId && s < step ? setStep(s) : undefined)} mb="lg">
        <Stepper.Step label={t('campaigns.wizard.steps.basics')} />
        <Stepper.Step label={t('campaigns.wizard.steps.audience')} />
        <Stepper.Step label={t('campaigns.wizard.steps.content')} />
        <Stepper.Step label={t('campaigns.wizard.steps.schedule')} />
        <Stepper.Step label={t('campaigns.wizard.steps.review')} />
      </Stepper>
      <Paper withBorder radius="md" p="lg">
        {step === 0 ? (
          <Stack maw={560}>
            <TextInput
              label={t('campaigns.wizard.name')}
              required
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              data-autofocus
            />
            <Textarea
              label={t('campaigns.wizard.objective')}
              description={t('campaigns.wizard.objectiveHelp')}
              value={objective}
              onChange={(e) => setObjective(e.currentTarget.value)}
              autosize
              minRows={2}
            />
            <Stack gap={4}>
              <Text size="sm" fw={500}>
                {t('campaigns.wizard.channel')}
              </Text>
              <SegmentedControl
                value={channel}
                onChange={(v) => setChannel(v as CampaignChannel)}
                data={CHANNELS.map((c) => ({
                  value: c,
                  label: t(`campaigns.channels.${c}`),
                }))}
              />
            </Stack>
            <ChannelAccountPicker channel={channel} value={channelId} onChange={setChannelId} />
            <MultiSelect
              label={t('campaigns.wizard.fallbacks')}
              description={t('campaigns.wizard.fallbacksHelp')}
              data={CHANNELS.filter((c) => c !== channel).map((c) => ({
                value: c,
                label: t(`campaigns.channels.${c}`),
              }))}
              value={fallbacks.filter((c) => c !== channel)}
              onChange={(v) => setFallbacks(v as CampaignChannel[])}
              maxValues={2}
              clearable
              data-testid="fallbacks"
            />
            <Switch
              label={t('campaigns.wizard.marketing')}
              description={t('campaigns.wizard.marketingHelp')}
              checked={marketing}
              onChange={(e) => setMarketing(e.currentTarget.checked)}
            />
          </Stack>
        ) : null}
        {step === 1 ? (
          <AudienceStep
            kind={audienceKind}
            onKind={setAudienceKind}
            segmentId={segmentId}
            onSegment={setSegmentId}
            initialTree={tree?.definition ?? null}
            onTree={onTree}
            clientIds={clientIds}
            onClientIds={setClientIds}
          />
        ) : null}
        {step === 2 ? (
          <Stack>
            <Switch
              label={t('campaigns.wizard.abTest')}
              description={t('campaigns.wizard.abTestHelp')}
              checked={abOn}
              onChange={(e) => {
                const on = e.currentTarget.checked;
                setAbOn(on);
                if (on) {
                  setSource('inline');
                  setDrafts((current) => (current.length >= 2 ? current : [...current, { ...current[0]! }]));
                } else setDrafts((current) => current.slice(0, 1));
              }}
              data-testid="ab-switch"
            />
            {abOn ? (
              <AbSettings
                value={ab}
                onChange={setAb}
                drafts={drafts}
                onDrafts={setDrafts}
                channel={channel}
                marketing={marketing}
                channelId={channelId}
              />
            ) : (
              <ContentStep
                channel={channel}
                marketing={marketing}
                channelId={channelId}
                source={source}
                onSource={setSource}
                templateId={templateId}
                onTemplate={setTemplateId}
                draft={drafts[0] ?? draftOf(undefined, placeholder)}
                onDraft={(d) => setDrafts((current) => [d, ...current.slice(1)])}
              />
            )}
          </Stack>
        ) : null}
        {step === 3 ? (
          <ScheduleStep
            channels={[channel, ...fallbacks]}
            when={when}
            onWhen={setWhen}
            at={at}
            onAt={setAt}
            zone={zone}
            determine={determine}
            onDetermine={setDetermine}
          />
        ) : null}
        {step === 4 && draftId ? (
          <ReviewStep
            id={draftId}
            channel={channel}
            when={when}
            at={at}
            determine={determine}
            zone={zone}
            ab={abOn ? ab : null}
            variants={drafts.length}
          />
        ) : null}
      </Paper>
      <Group justify="space-between" mt="lg">
        <Button variant="default" onClick={() => (step === 0 ? navigate('/campaigns') : setStep(step - 1))}>
          {step === 0 ? t('common.cancel') : t('campaigns.wizard.back')}
        </Button>
        {step < 4 ? (
          <Button onClick={() => void save(step + 1)} loading={saving} disabled={!canContinue}>
            {t('campaigns.wizard.next')}
          </Button>
        ) : (
          <Button color="green" onClick={confirmSend} loading={send.isPending}>
            {when === 'now' ? t('campaigns.wizard.sendNow') : t('campaigns.wizard.schedule')}
          </Button>
        )}
      </Group>
    </>
  );
}

/** The provider account a campaign sends through; none = the workspace's default for the channel. */
function ChannelAccountPicker({
  channel,
  value,
  onChange,
}: {
  channel: CampaignChannel;
  value: string | null;
  onChange(id: string | null): void;
}) {
  const { t } = useTranslation();
  const channels = useChannels();
  const options = (channels.data ?? []).filter((c) => c.kinds.includes(channel));
  return (
    <Select
      label={t('campaigns.wizard.account')}
      description={t('campaigns.wizard.accountHelp')}
      placeholder={t('campaigns.wizard.accountDefault')}
      clearable
      data={options.map((c) => ({
        value: c.id,
        label: `${c.name}${c.is_default ? ` (${t('campaigns.wizard.default')})` : ''}`,
      }))}
      value={value && options.some((c) => c.id === value) ? value : null}
      onChange={onChange}
      nothingFoundMessage={t('campaigns.wizard.noAccounts')}
      data-testid="account-picker"
    />
  );
}

function AudienceStep(props: {
  kind: AudienceKind;
  onKind(kind: AudienceKind): void;
  segmentId: string | null;
  onSegment(id: string | null): void;
  initialTree: SegmentNode | null;
  onTree(definition: SegmentNode, complete: boolean): void;
  clientIds: string[];
  onClientIds(ids: string[]): void;
}) {
  const { t } = useTranslation();
  const allCount = useSegmentCount(props.kind === 'all' ? ALL_CLIENTS : null);
  const segmentCount = useSavedSegmentCount(
    props.segmentId ?? '',
    props.kind === 'segment' && !!props.segmentId,
  );
  const count =
    props.kind === 'all'
      ? allCount.count
      : props.kind === 'segment'
        ? segmentCount.data
        : props.kind === 'clients'
          ? props.clientIds.length
          : null;
  return (
    <Stack>
      <Radio.Group
        label={t('campaigns.wizard.audienceLabel')}
        value={props.kind}
        onChange={(v) => props.onKind(v as AudienceKind)}
      >
        <Group mt="xs" gap="lg">
          <Radio value="all" label={t('campaigns.wizard.allClients')} />
          <Radio value="segment" label={t('campaigns.wizard.savedSegment')} />
          <Radio value="conditions" label={t('campaigns.wizard.conditions')} />
          <Radio value="clients" label={t('campaigns.wizard.someClients')} />
        </Group>
      </Radio.Group>
      {props.kind === 'segment' ? (
        <SegmentPicker
          maw={560}
          label={t('campaigns.wizard.segment')}
          placeholder={t('campaigns.wizard.pickSegment')}
          value={props.segmentId}
          onChange={props.onSegment}
        />
      ) : null}
      {props.kind === 'conditions' ? (
        <AudienceBuilder initial={props.initialTree} onChange={props.onTree} />
      ) : null}
      {props.kind === 'clients' ? (
        <Stack maw={640}>
          <ClientMultiPicker
            label={t('campaigns.wizard.pickClients')}
            description={t('campaigns.wizard.pickClientsHelp')}
            value={props.clientIds}
            onChange={props.onClientIds}
          />
        </Stack>
      ) : null}
      {count != null && (props.kind !== 'segment' || props.segmentId) ? (
        <Text data-testid="audience-count">{t('campaigns.wizard.audienceCount', { count })}</Text>
      ) : null}
    </Stack>
  );
}

/** The A/B settings and the 2–4 variants, one tab each. */
function AbSettings(props: {
  value: AbTestSettings;
  onChange(value: AbTestSettings): void;
  drafts: Draft[];
  onDrafts(drafts: Draft[]): void;
  channel: CampaignChannel;
  marketing: boolean;
  channelId: string | null;
}) {
  const { t } = useTranslation();
  const [tab, setTab] = useState('0');
  const { value, drafts } = props;
  const setDraft = (i: number, d: Draft) => props.onDrafts(drafts.map((x, j) => (j === i ? d : x)));
  return (
    <Stack data-testid="ab-settings">
      <Group align="flex-end" gap="md">
        <NumberInput
          label={t('campaigns.wizard.testShare')}
          description={t('campaigns.wizard.testShareHelp')}
          min={2}
          max={50}
          suffix=" %"
          value={value.test_share_percent}
          onChange={(n) => props.onChange({ ...value, test_share_percent: Number(n) || 2 })}
          w={200}
        />
        <Select
          label={t('campaigns.wizard.criterion')}
          data={(['opened', 'clicked', 'replied'] as AbCriterion[]).map((c) => ({
            value: c,
            label: t(`campaigns.ab.criteria.${c}`),
          }))}
          value={value.criterion}
          onChange={(c) => props.onChange({ ...value, criterion: (c as AbCriterion) ?? 'opened' })}
          allowDeselect={false}
          w={220}
        />
        <NumberInput
          label={t('campaigns.wizard.waitHours')}
          min={1}
          max={168}
          value={value.wait_hours}
          onChange={(n) => props.onChange({ ...value, wait_hours: Number(n) || 1 })}
          w={160}
        />
      </Group>
      <Text size="sm" c="dimmed">
        {t('campaigns.wizard.abExplain', {
          share: value.test_share_percent,
          each: Math.round((value.test_share_percent / drafts.length) * 10) / 10,
          hours: value.wait_hours,
          criterion: t(`campaigns.ab.criteria.${value.criterion}`),
        })}
      </Text>
      <Tabs value={tab} onChange={(v) => setTab(v ?? '0')}>
        <Tabs.List>
          {drafts.map((_, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: variants are positional (A, B, C, D)
            <Tabs.Tab key={i} value={String(i)}>
              {t('campaigns.ab.variant', { variant: letter(i) })}
            </Tabs.Tab>
          ))}
          {drafts.length < 4 ? (
            <Button
              variant="subtle"
              size="compact-sm"
              leftSection={<IconPlus size={14} />}
              onClick={() => {
                props.onDrafts([...drafts, { ...drafts[drafts.length - 1]! }]);
                setTab(String(drafts.length));
              }}
            >
              {t('campaigns.wizard.addVariant')}
            </Button>
          ) : null}
        </Tabs.List>
        {drafts.map((draft, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: variants are positional (A, B, C, D)
          <Tabs.Panel key={i} value={String(i)} pt="md">
            <Stack>
              {drafts.length > 2 ? (
                <Group justify="flex-end">
                  <Button
                    variant="subtle"
                    color="red"
                    size="compact-sm"
                    leftSection={<IconTrash size={14} />}
                    onClick={() => {
                      props.onDrafts(drafts.filter((_, j) => j !== i));
                      setTab('0');
                    }}
                  >
                    {t('campaigns.wizard.removeVariant', { variant: letter(i) })}
                  </Button>
                </Group>
              ) : null}
              <ContentStep
                channel={props.channel}
                marketing={props.marketing}
                channelId={props.channelId}
                source="inline"
                onSource={() => undefined}
                templateId={null}
                onTemplate={() => undefined}
                draft={draft}
                onDraft={(d) => setDraft(i, d)}
                inlineOnly
              />
            </Stack>
          </Tabs.Panel>
        ))}
      </Tabs>
    </Stack>
  );
}

/** A WhatsApp template approved for the campaign's account, with a variable per parameter. */
function WhatsappTemplateEditor({
  channelId,
  value,
  onChange,
}: {
  channelId: string | null;
  value: WhatsappTemplateFields | null;
  onChange(value: WhatsappTemplateFields | null): void;
}) {
  const { t } = useTranslation();
  const templates = useWhatsappTemplates(channelId ?? '', Boolean(channelId));
  const approved = (templates.data ?? []).filter((tpl) => tpl.status.toLowerCase() === 'approved');
  const key = value ? `${value.name}|${value.language}` : null;
  const parameters = value?.parameters ?? [];
  return (
    <Card withBorder p="sm" data-testid="whatsapp-template">
      <Stack gap="xs">
        <Text fw={600} size="sm">
          {t('campaigns.wizard.waTemplate')}
        </Text>
        <Text size="xs" c="dimmed">
          {t('campaigns.wizard.waTemplateHelp')}
        </Text>
        {channelId ? (
          <Select
            aria-label={t('campaigns.wizard.waTemplate')}
            placeholder={t('campaigns.wizard.waPick')}
            clearable
            data={approved.map((tpl) => ({
              value: `${tpl.name}|${tpl.language}`,
              label: `${tpl.name} (${tpl.language})${tpl.category ? ` · ${tpl.category}` : ''}`,
            }))}
            value={key && approved.some((tpl) => `${tpl.name}|${tpl.language}` === key) ? key : null}
            onChange={(v) => {
              if (!v) return onChange(null);
              const [name, language] = v.split('|') as [string, string];
              onChange({ name, language, parameters });
            }}
            nothingFoundMessage={t('campaigns.wizard.waNone')}
          />
        ) : (
          <Group grow>
            <TextInput
              label={t('campaigns.wizard.waName')}
              value={value?.name ?? ''}
              onChange={(e) =>
                onChange(
                  e.currentTarget.value
                    ? { name: e.currentTarget.value, language: value?.language ?? 'en', parameters }
                    : null,
                )
              }
            />
            <TextInput
              label={t('campaigns.wizard.waLanguage')}
              value={value?.language ?? ''}
              disabled={!value}
              onChange={(e) => value && onChange({ ...value, language: e.currentTarget.value })}
            />
          </Group>
        )}
        {value ? (
          <Stack gap={6}>
            {parameters.map((p, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: parameters are positional ({{1}}, {{2}}…)
              <Group key={i} gap="xs" wrap="nowrap">
                <TextInput
                  style={{ flex: 1 }}
                  label={t('campaigns.wizard.waParameter', { n: i + 1 })}
                  placeholder="client.first_name"
                  value={p}
                  onChange={(e) =>
                    onChange({
                      ...value,
                      parameters: parameters.map((x, j) => (j === i ? e.currentTarget.value : x)),
                    })
                  }
                />
                <div style={{ marginTop: 24 }}>
                  <VariablePicker
                    compact
                    label={t('campaigns.wizard.waPickVariable', { n: i + 1 })}
                    onPick={(variable) =>
                      onChange({
                        ...value,
                        parameters: parameters.map((x, j) => (j === i ? variable.path : x)),
                      })
                    }
                  />
                </div>
                <Tooltip label={t('campaigns.wizard.waRemoveParameter')}>
                  <ActionIcon
                    variant="subtle"
                    color="red"
                    mt={24}
                    aria-label={t('campaigns.wizard.waRemoveParameter')}
                    onClick={() => onChange({ ...value, parameters: parameters.filter((_, j) => j !== i) })}
                  >
                    <IconTrash size={16} />
                  </ActionIcon>
                </Tooltip>
              </Group>
            ))}
            <Button
              variant="light"
              size="compact-sm"
              leftSection={<IconPlus size={14} />}
              onClick={() => onChange({ ...value, parameters: [...parameters, ''] })}
              w="fit-content"
            >
              {t('campaigns.wizard.waAddParameter')}
            </Button>
          </Stack>
        ) : null}
      </Stack>
    </Card>
  );
}

function ContentStep(props: {
  channel: CampaignChannel;
  marketing: boolean;
  channelId: string | null;
  source: 'template' | 'inline';
  onSource(source: 'template' | 'inline'): void;
  templateId: string | null;
  onTemplate(id: string | null): void;
  draft: Draft;
  onDraft(draft: Draft): void;
  /** A/B variants are written inline. */
  inlineOnly?: boolean;
}) {
  const { t } = useTranslation();
  const errorMessage = useErrorMessage();
  const templates = useTemplates();
  const [clientId, setClientId] = useState<string | null>(null);
  const ofChannel = (templates.data ?? []).filter((tpl) => tpl.channel === props.channel);
  const template = ofChannel.find((tpl) => tpl.id === props.templateId);
  const { draft } = props;
  // The AI panel sets the subject and then the body in one go: each edit builds on the last one.
  const latestDraft = useRef(draft);
  latestDraft.current = draft;
  const editDraft = (change: Partial<Draft>) => {
    latestDraft.current = { ...latestDraft.current, ...change };
    props.onDraft(latestDraft.current);
  };
  // The variable picker inserts where the caret was in the field last used (the body at first).
  const subjectField = useRef<HTMLInputElement>(null);
  const bodyField = useRef<HTMLTextAreaElement>(null);
  const lastField = useRef<'subject' | 'body'>('body');
  const [pickerOpened, setPickerOpened] = useState(false);
  const openPickerOnHotkey = (event: KeyboardEvent<HTMLInputElement | HTMLTextAreaElement>) => {
    if (!isPickerHotkey(event)) return;
    event.preventDefault();
    setPickerOpened(true);
  };
  function insertVariable(variable: TemplateVariable) {
    const inSubject = lastField.current === 'subject' && props.channel === 'email';
    const field = inSubject ? subjectField.current : bodyField.current;
    const current = latestDraft.current;
    const { value, caret } = insertAtCursor(
      field,
      inSubject ? current.subject : current.body,
      variable.insert,
    );
    editDraft(inSubject ? { subject: value } : { body: value });
    focusAfterInsert(field, caret);
  }
  const subject = props.source === 'template' ? (template?.subject ?? '') : draft.subject;
  const body = props.source === 'template' ? (template?.body ?? '') : draft.body;
  const [settled] = useDebouncedValue({ subject, body, clientId }, 400);
  const preview = useTemplatePreview(
    settled.clientId && settled.body.trim()
      ? {
          channel: props.channel,
          subject: props.channel === 'email' ? settled.subject : undefined,
          body: settled.body,
          marketing: props.marketing,
          client_id: settled.clientId,
        }
      : null,
  );
  return (
    <Grid gap="xl">
      <Grid.Col span={{ base: 12, md: 7 }}>
        <Stack>
          {props.inlineOnly ? null : (
            <SegmentedControl
              value={props.source}
              onChange={(v) => props.onSource(v as 'template' | 'inline')}
              data={[
                { value: 'inline', label: t('campaigns.wizard.writeMessage') },
                { value: 'template', label: t('campaigns.wizard.useTemplate') },
              ]}
            />
          )}
          {props.source === 'template' ? (
            <Select
              label={t('campaigns.wizard.template')}
              placeholder={t('campaigns.wizard.pickTemplate')}
              data={ofChannel.map((tpl) => ({ value: tpl.id, label: tpl.name }))}
              value={props.templateId}
              onChange={props.onTemplate}
              nothingFoundMessage={t('campaigns.wizard.noTemplates')}
              searchable
            />
          ) : (
            <>
              <Group justify="space-between" wrap="nowrap" gap="sm">
                <Text size="xs" c="dimmed" style={{ flex: 1 }}>
                  {t(
                    props.channel === 'email'
                      ? 'campaigns.wizard.variablesHint'
                      : 'campaigns.wizard.variablesHintBody',
                  )}
                </Text>
                <VariablePicker
                  opened={pickerOpened}
                  onOpenedChange={setPickerOpened}
                  onPick={insertVariable}
                />
              </Group>
              {props.channel === 'email' ? (
                <TextInput
                  ref={subjectField}
                  label={t('campaigns.wizard.subject')}
                  required
                  value={draft.subject}
                  onFocus={() => {
                    lastField.current = 'subject';
                  }}
                  onKeyDown={openPickerOnHotkey}
                  onChange={(e) => props.onDraft({ ...draft, subject: e.currentTarget.value })}
                />
              ) : null}
              <Textarea
                ref={bodyField}
                label={t('campaigns.wizard.body')}
                description={t('campaigns.wizard.bodyHelp', { example: '{{ client.first_name }}' })}
                required
                autosize
                minRows={6}
                value={draft.body}
                onFocus={() => {
                  lastField.current = 'body';
                }}
                onKeyDown={openPickerOnHotkey}
                onChange={(e) => props.onDraft({ ...draft, body: e.currentTarget.value })}
              />
              <WriteWithAiPanel
                channel={props.channel}
                subject={draft.subject}
                body={draft.body}
                onSubject={(subject) => editDraft({ subject })}
                onBody={(body) => editDraft({ body })}
              />
              {props.channel === 'whatsapp' ? (
                <WhatsappTemplateEditor
                  channelId={props.channelId}
                  value={draft.whatsapp}
                  onChange={(whatsapp) => props.onDraft({ ...draft, whatsapp })}
                />
              ) : null}
            </>
          )}
        </Stack>
      </Grid.Col>
      <Grid.Col span={{ base: 12, md: 5 }}>
        <Stack>
          <Text fw={600}>{t('campaigns.wizard.preview')}</Text>
          <ClientPicker value={clientId} onChange={setClientId} />
          <MessagePreview
            channel={props.channel}
            preview={preview.data ?? null}
            loading={preview.isFetching}
            hasClient={Boolean(clientId)}
            failed={preview.isError ? errorMessage(preview.error) : null}
          />
        </Stack>
      </Grid.Col>
    </Grid>
  );
}

function ScheduleStep(props: {
  channels: CampaignChannel[];
  when: When;
  onWhen(when: When): void;
  at: string;
  onAt(at: string): void;
  /** The workspace's time zone, in which `at` is read. */
  zone: string;
  determine: Determine;
  onDetermine(determine: Determine): void;
}) {
  const { t } = useTranslation();
  const quiet = useCampaignSettings().data?.quiet_hours ?? null;
  return (
    <Stack maw={620}>
      <Radio.Group
        label={t('campaigns.wizard.whenLabel')}
        value={props.when}
        onChange={(v) => props.onWhen(v as When)}
      >
        <Stack mt="xs" gap="xs">
          <Radio value="now" label={t('campaigns.wizard.whenNow')} />
          <Radio value="at" label={t('campaigns.wizard.whenAt')} />
          <Radio
            value="recipient"
            label={t('campaigns.wizard.whenRecipient')}
            description={t('campaigns.wizard.whenRecipientHelp')}
          />
        </Stack>
      </Radio.Group>
      {props.when !== 'now' ? (
        <>
          <TextInput
            type="datetime-local"
            label={t('campaigns.wizard.dateTime')}
            description={t('campaigns.wizard.dateTimeZone', { zone: props.zone })}
            value={props.at}
            onChange={(e) => props.onAt(e.currentTarget.value)}
            leftSection={<IconClock size={16} />}
            required
          />
          <Radio.Group
            label={t('campaigns.wizard.determineLabel')}
            value={props.determine}
            onChange={(v) => props.onDetermine(v as Determine)}
            data-testid="determine"
          >
            <Stack mt="xs" gap="xs">
              <Radio
                value="now"
                label={t('campaigns.wizard.determineNow')}
                description={t('campaigns.wizard.determineNowHelp')}
              />
              <Radio
                value="at_send"
                label={t('campaigns.wizard.determineAtSend')}
                description={t('campaigns.wizard.determineAtSendHelp')}
              />
            </Stack>
          </Radio.Group>
        </>
      ) : null}
      {quiet && props.channels.some((c) => c !== 'email') ? (
        <Alert icon={<IconInfoCircle size={18} />} variant="light" data-testid="quiet-hours">
          {t('campaigns.wizard.quietHours', { from: hourLabel(quiet.start), to: hourLabel(quiet.end) })}
        </Alert>
      ) : null}
    </Stack>
  );
}

/** What to look at before sending: each as a sentence. */
function warningsOf(
  review: CampaignReview,
  options: {
    channel: CampaignChannel;
    when: When;
    ab: AbTestSettings | null;
    variants: number;
    quiet: QuietHours | null;
  },
): Array<{ key: string; values?: Record<string, unknown> }> {
  const warnings: Array<{ key: string; values?: Record<string, unknown> }> = [];
  if (review.audience > 0 && review.skipped / review.audience >= 0.2)
    warnings.push({
      key: 'manySkipped',
      values: { percent: Math.round((review.skipped / review.audience) * 100) },
    });
  const noConsent = review.skipped_by_reason
    .filter((s) => s.reason === 'no_consent')
    .reduce((n, s) => n + s.count, 0);
  if (noConsent > 0) warnings.push({ key: 'noConsent', values: { count: noConsent } });
  if (
    options.quiet &&
    (options.channel !== 'email' || Object.keys(review.eligible_by_channel).some((c) => c !== 'email'))
  )
    warnings.push({
      key: 'quietHours',
      values: { from: hourLabel(options.quiet.start), to: hourLabel(options.quiet.end) },
    });
  if (options.ab) {
    const test = Math.ceil((review.eligible * options.ab.test_share_percent) / 100);
    warnings.push({
      key: 'abTest',
      values: {
        test,
        variants: options.variants,
        rest: Math.max(review.eligible - test, 0),
        hours: options.ab.wait_hours,
      },
    });
    if (review.eligible > 0 && test / options.variants < 100)
      warnings.push({ key: 'abSmall', values: { count: Math.floor(test / options.variants) } });
  }
  if (!review.cost_estimate) warnings.push({ key: 'noPrices' });
  return warnings;
}

function ReviewStep({
  id,
  channel,
  when,
  at,
  determine,
  zone,
  ab,
  variants,
}: {
  id: string;
  channel: CampaignChannel;
  when: When;
  at: string;
  determine: Determine;
  zone: string;
  ab: AbTestSettings | null;
  variants: number;
}) {
  const { t, i18n } = useTranslation();
  const review = useCampaignReview(id, true);
  const quiet = useCampaignSettings().data?.quiet_hours ?? null;
  if (review.error) return <QueryError error={review.error} onRetry={() => void review.refetch()} />;
  if (!review.data) return <Loader aria-label={t('campaigns.loading')} />;
  const data = review.data;
  const warnings = warningsOf(data, { channel, when, ab, variants, quiet });
  return (
    <Grid gap="xl">
      <Grid.Col span={{ base: 12, md: 7 }}>
        <Stack>
          <Title order={3} data-testid="review-eligible">
            {t('campaigns.review.eligible', { count: data.eligible, audience: data.audience })}
          </Title>
          <Text c="dimmed">
            {when === 'now'
              ? t('campaigns.review.whenNow', { channel: t(`campaigns.channels.${channel}`) })
              : t('campaigns.review.whenAt', {
                  at: `${dayjs(at)
                    .locale(i18n.resolvedLanguage ?? 'en')
                    .format('LLL')} (${zone})`,
                })}
            {when !== 'now' ? ` ${t(`campaigns.review.determine.${determine}`)}` : ''}
          </Text>
          {data.skipped_by_reason.length ? (
            <>
              <Text fw={600}>{t('campaigns.review.skipped', { count: data.skipped })}</Text>
              <List data-testid="review-skipped">
                {data.skipped_by_reason.map((s) => (
                  <List.Item key={`${s.reason}-${s.channel}`}>
                    {t(`campaigns.skip.${s.reason}`, {
                      count: s.count,
                      channel: t(`campaigns.channels.${s.channel}`),
                    })}
                  </List.Item>
                ))}
              </List>
            </>
          ) : (
            <Text>{t('campaigns.review.noneSkipped')}</Text>
          )}
          {data.frequency_cap_7d ? (
            <Text size="sm" c="dimmed">
              {t('campaigns.review.cap', { count: data.frequency_cap_7d })}
            </Text>
          ) : null}
          {data.eligible === 0 ? <Alert color="orange">{t('campaigns.review.nobody')}</Alert> : null}
          {warnings.length ? (
            <Alert
              color="yellow"
              variant="light"
              icon={<IconAlertTriangle size={18} />}
              title={t('campaigns.review.warnings')}
              data-testid="review-warnings"
            >
              <List size="sm">
                {warnings.map((w) => (
                  <List.Item key={w.key}>
                    {String(t(`campaigns.review.warning.${w.key}` as never, w.values as never))}
                  </List.Item>
                ))}
              </List>
            </Alert>
          ) : null}
          <Exclusions id={id} onChange={() => void review.refetch()} />
        </Stack>
      </Grid.Col>
      <Grid.Col span={{ base: 12, md: 5 }}>
        <Stack>
          <Card withBorder>
            <Text fw={600} mb="xs">
              {t('campaigns.cost.estimate')}
            </Text>
            {data.cost_estimate ? (
              <CostView cost={data.cost_estimate} testId="cost-estimate" />
            ) : (
              <Text size="sm" c="dimmed">
                {t('campaigns.cost.noPrices')}
              </Text>
            )}
          </Card>
          <TestSendCard id={id} channel={channel} variants={ab ? variants : 1} />
        </Stack>
      </Grid.Col>
    </Grid>
  );
}

/** Clients taken out of this campaign by hand: pick, exclude, or put back. */
function Exclusions({ id, onChange }: { id: string; onChange(): void }) {
  const { t } = useTranslation();
  const errorMessage = useErrorMessage();
  const exclusions = useExclusions(id);
  const exclude = useExcludeClients(id);
  const include = useIncludeAgain(id);
  const [picked, setPicked] = useState<string[]>([]);
  return (
    <Card withBorder data-testid="exclusions">
      <Text fw={600}>{t('campaigns.exclusions.title')}</Text>
      <Text size="sm" c="dimmed" mb="xs">
        {t('campaigns.exclusions.help')}
      </Text>
      <Group align="flex-end" gap="xs">
        <div style={{ flex: 1 }}>
          <ClientMultiPicker label={t('campaigns.exclusions.pick')} value={picked} onChange={setPicked} />
        </div>
        <Button
          leftSection={<IconUserMinus size={16} />}
          variant="light"
          disabled={!picked.length}
          loading={exclude.isPending}
          onClick={() =>
            exclude.mutate(picked, {
              onSuccess: () => {
                setPicked([]);
                onChange();
              },
              onError: (error) => notifyError(errorMessage(error)),
            })
          }
        >
          {t('campaigns.exclusions.exclude')}
        </Button>
      </Group>
      {exclusions.data?.length ? (
        <Table mt="sm" verticalSpacing={4} data-testid="exclusions-list">
          <Table.Tbody>
            {exclusions.data.map((x) => (
              <Table.Tr key={x.client_id}>
                <Table.Td>{x.client_name ?? '—'}</Table.Td>
                <Table.Td>{x.email ?? x.phone ?? ''}</Table.Td>
                <Table.Td w={1}>
                  <Button
                    size="compact-xs"
                    variant="subtle"
                    onClick={() =>
                      include.mutate(x.client_id, {
                        onSuccess: onChange,
                        onError: (error) => notifyError(errorMessage(error)),
                      })
                    }
                  >
                    {t('campaigns.exclusions.includeAgain')}
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : (
        <Text size="sm" c="dimmed" mt="xs">
          {t('campaigns.exclusions.none')}
        </Text>
      )}
    </Card>
  );
}
