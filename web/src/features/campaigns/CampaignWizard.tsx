import {
  Alert,
  Button,
  Grid,
  Group,
  List,
  Loader,
  Paper,
  Radio,
  SegmentedControl,
  Select,
  Stack,
  Stepper,
  Switch,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { modals } from '@mantine/modals';
import { IconClock, IconInfoCircle } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useParams } from 'react-router';
import {
  type Campaign,
  type CampaignAudience,
  type CampaignChannel,
  type CampaignContent,
  useCampaign,
  useCampaignReview,
  useCreateCampaign,
  useSendCampaign,
  useUpdateCampaign,
} from '../../api/campaigns';
import { useSavedSegmentCount, useSegmentCount, useSegments } from '../../api/segments';
import { useTemplatePreview, useTemplates } from '../../api/templates';
import { useErrorMessage } from '../../ui/errors';
import { notifyError } from '../../ui/notify';
import { PageHeader } from '../../ui/PageHeader';
import { QueryError } from '../../ui/QueryError';
import { WriteWithAiPanel } from '../ai/WriteWithAiPanel';
import { ClientPicker } from '../templates/ClientPicker';
import { MessagePreview } from '../templates/MessagePreview';

const ALL_CLIENTS = { all: [] };
type When = 'now' | 'at' | 'recipient';

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

  const audience = campaign?.audience;
  const [audienceKind, setAudienceKind] = useState<'all' | 'segment'>(
    audience && 'segment_id' in audience ? 'segment' : 'all',
  );
  const [segmentId, setSegmentId] = useState<string | null>(
    audience && 'segment_id' in audience ? audience.segment_id : null,
  );

  const content = campaign?.content;
  const [source, setSource] = useState<'template' | 'inline'>(
    content && 'template_id' in content ? 'template' : 'inline',
  );
  const [templateId, setTemplateId] = useState<string | null>(
    content && 'template_id' in content ? content.template_id : null,
  );
  const [subject, setSubject] = useState(content && 'body' in content ? (content.subject ?? '') : '');
  // The draft was created with a placeholder text (the API needs one); the form starts empty instead.
  const [body, setBody] = useState(
    content && 'body' in content && content.body !== t('campaigns.wizard.placeholderBody')
      ? content.body
      : '',
  );

  const [when, setWhen] = useState<When>('now');
  const [at, setAt] = useState('');

  const create = useCreateCampaign();
  const update = useUpdateCampaign(draftId ?? '');
  const send = useSendCampaign(draftId ?? '');
  const saving = create.isPending || update.isPending;

  function inlineContent(forChannel: CampaignChannel): CampaignContent {
    const text = body.trim() ? body : t('campaigns.wizard.placeholderBody');
    return forChannel === 'email' ? { subject: subject.trim() || name.trim(), body: text } : { body: text };
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
            marketing,
            audience: { definition: ALL_CLIENTS } as CampaignAudience,
            content: inlineContent(channel),
          });
          setDraftId(created.id);
          setSubject((created.content as { subject?: string }).subject ?? '');
          navigate(`/campaigns/${created.id}/edit`, { replace: true });
        } else {
          const channelChanged = campaign?.channel !== channel;
          await update.mutateAsync({
            name,
            objective: objective.trim() || null,
            channel,
            marketing,
            // A new channel needs content written for it (a subject only for email).
            ...(channelChanged ? { content: inlineContent(channel) } : {}),
          });
          if (channelChanged) {
            setSource('inline');
            setTemplateId(null);
          }
        }
      } else if (step === 1) {
        await update.mutateAsync({
          audience:
            audienceKind === 'segment' && segmentId ? { segment_id: segmentId } : { definition: ALL_CLIENTS },
        });
      } else if (step === 2) {
        if (source === 'template' && !templateId) return;
        await update.mutateAsync({
          content:
            source === 'template' && templateId
              ? { template_id: templateId }
              : channel === 'email'
                ? { subject, body }
                : { body },
        });
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
          when === 'now' ? {} : { at: new Date(at).toISOString(), recipient_time_zone: when === 'recipient' },
          {
            onSuccess: (sent) => navigate(`/campaigns/${sent.id}`),
            onError: (error) => notifyError(errorMessage(error)),
          },
        ),
    });
  }

  const canContinue =
    step === 0
      ? name.trim() !== ''
      : step === 1
        ? audienceKind === 'all' || Boolean(segmentId)
        : step === 2
          ? source === 'template'
            ? Boolean(templateId)
            : body.trim() !== '' && (channel !== 'email' || subject.trim() !== '')
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
                data={(['email', 'sms', 'whatsapp'] as const).map((c) => ({
                  value: c,
                  label: t(`campaigns.channels.${c}`),
                }))}
              />
            </Stack>
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
          />
        ) : null}
        {step === 2 ? (
          <ContentStep
            channel={channel}
            marketing={marketing}
            source={source}
            onSource={setSource}
            templateId={templateId}
            onTemplate={setTemplateId}
            subject={subject}
            onSubject={setSubject}
            body={body}
            onBody={setBody}
          />
        ) : null}
        {step === 3 ? (
          <ScheduleStep channel={channel} when={when} onWhen={setWhen} at={at} onAt={setAt} />
        ) : null}
        {step === 4 && draftId ? <ReviewStep id={draftId} channel={channel} when={when} at={at} /> : null}
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

function AudienceStep(props: {
  kind: 'all' | 'segment';
  onKind(kind: 'all' | 'segment'): void;
  segmentId: string | null;
  onSegment(id: string | null): void;
}) {
  const { t } = useTranslation();
  const segments = useSegments(false);
  const allCount = useSegmentCount(props.kind === 'all' ? ALL_CLIENTS : null);
  const segmentCount = useSavedSegmentCount(
    props.segmentId ?? '',
    props.kind === 'segment' && !!props.segmentId,
  );
  const count = props.kind === 'all' ? allCount.count : segmentCount.data;
  return (
    <Stack maw={560}>
      <Radio.Group
        label={t('campaigns.wizard.audienceLabel')}
        value={props.kind}
        onChange={(v) => props.onKind(v as 'all' | 'segment')}
      >
        <Stack mt="xs" gap="xs">
          <Radio value="all" label={t('campaigns.wizard.allClients')} />
          <Radio value="segment" label={t('campaigns.wizard.savedSegment')} />
        </Stack>
      </Radio.Group>
      {props.kind === 'segment' ? (
        <Select
          label={t('campaigns.wizard.segment')}
          placeholder={t('campaigns.wizard.pickSegment')}
          searchable
          data={(segments.data ?? []).map((s) => ({ value: s.id, label: s.name }))}
          value={props.segmentId}
          onChange={props.onSegment}
          nothingFoundMessage={t('campaigns.wizard.noSegments')}
        />
      ) : null}
      {count != null && (props.kind === 'all' || props.segmentId) ? (
        <Text data-testid="audience-count">{t('campaigns.wizard.audienceCount', { count })}</Text>
      ) : null}
    </Stack>
  );
}

function ContentStep(props: {
  channel: CampaignChannel;
  marketing: boolean;
  source: 'template' | 'inline';
  onSource(source: 'template' | 'inline'): void;
  templateId: string | null;
  onTemplate(id: string | null): void;
  subject: string;
  onSubject(subject: string): void;
  body: string;
  onBody(body: string): void;
}) {
  const { t } = useTranslation();
  const errorMessage = useErrorMessage();
  const templates = useTemplates();
  const [clientId, setClientId] = useState<string | null>(null);
  const ofChannel = (templates.data ?? []).filter((tpl) => tpl.channel === props.channel);
  const template = ofChannel.find((tpl) => tpl.id === props.templateId);
  const subject = props.source === 'template' ? (template?.subject ?? '') : props.subject;
  const body = props.source === 'template' ? (template?.body ?? '') : props.body;
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
          <SegmentedControl
            value={props.source}
            onChange={(v) => props.onSource(v as 'template' | 'inline')}
            data={[
              { value: 'inline', label: t('campaigns.wizard.writeMessage') },
              { value: 'template', label: t('campaigns.wizard.useTemplate') },
            ]}
          />
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
              {props.channel === 'email' ? (
                <TextInput
                  label={t('campaigns.wizard.subject')}
                  required
                  value={props.subject}
                  onChange={(e) => props.onSubject(e.currentTarget.value)}
                />
              ) : null}
              <Textarea
                label={t('campaigns.wizard.body')}
                description={t('campaigns.wizard.bodyHelp', { example: '{{ client.first_name }}' })}
                required
                autosize
                minRows={6}
                value={props.body}
                onChange={(e) => props.onBody(e.currentTarget.value)}
              />
              <WriteWithAiPanel
                channel={props.channel}
                subject={props.subject}
                body={props.body}
                onSubject={props.onSubject}
                onBody={props.onBody}
              />
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
  channel: CampaignChannel;
  when: When;
  onWhen(when: When): void;
  at: string;
  onAt(at: string): void;
}) {
  const { t } = useTranslation();
  return (
    <Stack maw={560}>
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
        <TextInput
          type="datetime-local"
          label={t('campaigns.wizard.dateTime')}
          value={props.at}
          onChange={(e) => props.onAt(e.currentTarget.value)}
          leftSection={<IconClock size={16} />}
          required
        />
      ) : null}
      {props.channel !== 'email' ? (
        <Alert icon={<IconInfoCircle size={18} />} variant="light">
          {t('campaigns.wizard.quietHours')}
        </Alert>
      ) : null}
    </Stack>
  );
}

function ReviewStep({
  id,
  channel,
  when,
  at,
}: {
  id: string;
  channel: CampaignChannel;
  when: When;
  at: string;
}) {
  const { t } = useTranslation();
  const review = useCampaignReview(id, true);
  if (review.error) return <QueryError error={review.error} onRetry={() => void review.refetch()} />;
  if (!review.data) return <Loader aria-label={t('campaigns.loading')} />;
  const data = review.data;
  return (
    <Stack>
      <Title order={3} data-testid="review-eligible">
        {t('campaigns.review.eligible', { count: data.eligible, audience: data.audience })}
      </Title>
      <Text c="dimmed">
        {when === 'now'
          ? t('campaigns.review.whenNow', { channel: t(`campaigns.channels.${channel}`) })
          : t('campaigns.review.whenAt', { at: new Date(at).toLocaleString() })}
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
    </Stack>
  );
}
