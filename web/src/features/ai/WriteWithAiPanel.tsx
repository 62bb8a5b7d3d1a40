import {
  Alert,
  Badge,
  Button,
  Code,
  Collapse,
  Group,
  List,
  Loader,
  NumberInput,
  Paper,
  Progress,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  Title,
  UnstyledButton,
} from '@mantine/core';
import {
  IconAlertTriangle,
  IconArrowBackUp,
  IconCheck,
  IconChevronDown,
  IconChevronUp,
  IconCopy,
  IconLock,
  IconRefresh,
  IconReplace,
  IconRowInsertBottom,
  IconSparkles,
} from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useEffect, useId, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  type AiAudience,
  type AiResult,
  type AiVariant,
  aiKeys,
  type ComposeRequest,
  type RewriteOperation,
  type RewriteRequest,
  type SentToModel,
  streamAi,
  useAiSettings,
} from '../../api/ai';
import { ApiError } from '../../api/client';
import type { TemplateChannel } from '../../api/templates';
import { SegmentPicker } from '../segments/SegmentPicker';
import { ClientPicker } from '../templates/ClientPicker';

const LANGUAGES = ['en', 'es', 'fr', 'pt', 'it', 'de', 'ca'] as const;
const TONES = ['friendly', 'professional', 'enthusiastic', 'calm', 'formal'] as const;
const OPERATIONS = [
  'improve',
  'shorten',
  'lengthen',
  'translate',
  'fix_spelling',
  'subject_lines',
  'adapt_sms',
  'adapt_whatsapp',
  'adapt_email',
] as const;
type OperationChoice = (typeof OPERATIONS)[number];
const AI_ERROR_CODES = [
  'AI_NOT_CONFIGURED',
  'AI_BUDGET_EXHAUSTED',
  'AI_TIMEOUT',
  'AI_PROVIDER_ERROR',
  'RATE_LIMITED',
] as const;

interface Props {
  channel: TemplateChannel;
  subject: string;
  body: string;
  onSubject(subject: string): void;
  onBody(body: string): void;
  /** Given: an "adapt to SMS/WhatsApp" result can switch the editor to that channel. */
  onChannel?(channel: TemplateChannel): void;
}

interface HistoryEntry {
  id: number;
  at: Date;
  label: string;
  path: '/api/v1/ai/compose' | '/api/v1/ai/rewrite';
  request: ComposeRequest | RewriteRequest;
  result: AiResult;
}

/** The session's runs, kept while the dashboard is open (the wizard's steps mount and unmount the panel). */
const sessionHistory: HistoryEntry[] = [];
let nextHistoryId = 1;

type RunState =
  | { status: 'idle' }
  | { status: 'running'; text: string; sent: SentToModel | null; model: string | null }
  | { status: 'error'; error: ApiError }
  | { status: 'done'; entry: HistoryEntry };

/** The text with every sentence that makes a forbidden claim marked, as the server located it. */
function highlighted(
  text: string,
  claims: AiVariant['claims'],
  title: (claim: string) => string,
): ReactNode[] {
  const parts: ReactNode[] = [];
  let at = 0;
  for (const claim of [...claims].sort((a, b) => a.start - b.start)) {
    if (claim.start < at) continue;
    parts.push(text.slice(at, claim.start));
    parts.push(
      <mark key={`${claim.start}-${claim.claim}`} title={title(claim.claim)} data-claim={claim.claim}>
        {text.slice(claim.start, claim.end)}
      </mark>,
    );
    at = claim.end;
  }
  parts.push(text.slice(at));
  return parts;
}

function useLanguageName() {
  const { i18n } = useTranslation();
  return useMemo(() => {
    try {
      const names = new Intl.DisplayNames([i18n.resolvedLanguage ?? 'en'], { type: 'language' });
      return (code: string) => names.of(code) ?? code;
    } catch {
      return (code: string) => code;
    }
  }, [i18n.resolvedLanguage]);
}

/**
 * "Write with AI" for the template editor and the campaign composer: new variants from an
 * objective, or a rewrite of the current text; variants side by side with the validator's
 * verdict, forbidden claims highlighted, insert or replace, regenerate, and the session's
 * history. Hidden while the workspace has no AI provider (or the user may not use it).
 */
export function WriteWithAiPanel(props: Props) {
  const settings = useAiSettings();
  if (!settings.data?.configured) return null;
  return <Panel {...props} shareClientDetails={settings.data.share_client_details} />;
}

function Panel(props: Props & { shareClientDetails: boolean }) {
  const { t, i18n } = useTranslation();
  const languageName = useLanguageName();
  const [open, setOpen] = useState(false);
  const [mode, setMode] = useState<'compose' | 'rewrite'>(props.body.trim() ? 'rewrite' : 'compose');
  const [objective, setObjective] = useState('');
  const [tone, setTone] = useState<string>('friendly');
  const uiLanguage = (i18n.resolvedLanguage ?? 'en').slice(0, 2);
  const [language, setLanguage] = useState<string>(
    (LANGUAGES as readonly string[]).includes(uiLanguage) ? uiLanguage : 'en',
  );
  const [variants, setVariants] = useState<number>(3);
  const [smsSegments, setSmsSegments] = useState<number>(1);
  const [segmentId, setSegmentId] = useState<string | null>(null);
  const [clientId, setClientId] = useState<string | null>(null);
  const [operation, setOperation] = useState<OperationChoice>('improve');
  const [run, setRun] = useState<RunState>({ status: 'idle' });
  const [history, setHistory] = useState<HistoryEntry[]>(() => [...sessionHistory]);
  const [showSent, setShowSent] = useState(false);
  const abort = useRef<AbortController | null>(null);
  const ids = useId();
  const queryClient = useQueryClient();

  useEffect(() => () => abort.current?.abort(), []);

  const operations = OPERATIONS.filter((op) => {
    if (op === 'subject_lines') return props.channel === 'email';
    if (op.startsWith('adapt_')) return op !== `adapt_${props.channel}`;
    return true;
  });

  function buildRequest(): {
    path: HistoryEntry['path'];
    request: ComposeRequest | RewriteRequest;
    label: string;
  } {
    if (mode === 'compose') {
      const audience: AiAudience | undefined = clientId
        ? { client_ids: [clientId] }
        : segmentId
          ? { segment_id: segmentId }
          : undefined;
      return {
        path: '/api/v1/ai/compose',
        label: objective.trim(),
        request: {
          channel: props.channel,
          objective: objective.trim(),
          tone,
          language,
          variants,
          ...(audience ? { audience } : {}),
          ...(props.channel === 'sms' ? { sms_segments: smsSegments } : {}),
        },
      };
    }
    const adapt = operation.startsWith('adapt_') ? (operation.slice(6) as TemplateChannel) : null;
    const op: RewriteOperation = adapt ? 'adapt' : (operation as RewriteOperation);
    const target = adapt ?? props.channel;
    return {
      path: '/api/v1/ai/rewrite',
      label: t(`ai.operations.${operation}`),
      request: {
        operation: op,
        channel: props.channel,
        ...(adapt ? { target_channel: adapt } : {}),
        ...(op === 'translate' ? { language } : {}),
        tone,
        subject: props.channel === 'email' ? props.subject || null : null,
        body: props.body,
        variants,
        ...(target === 'sms' ? { sms_segments: smsSegments } : {}),
      },
    };
  }

  async function start(again?: HistoryEntry) {
    const { path, request, label } = again ?? buildRequest();
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    setShowSent(false);
    setRun({ status: 'running', text: '', sent: null, model: null });
    try {
      const result = await streamAi(
        path,
        request,
        {
          onStart: (info) =>
            setRun((r) =>
              r.status === 'running' ? { ...r, sent: info.sent_to_model, model: info.model } : r,
            ),
          onDelta: (text) => setRun((r) => (r.status === 'running' ? { ...r, text: r.text + text } : r)),
        },
        controller.signal,
      );
      const entry: HistoryEntry = { id: nextHistoryId++, at: new Date(), label, path, request, result };
      sessionHistory.unshift(entry);
      setHistory([...sessionHistory]);
      setRun({ status: 'done', entry });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') return;
      setRun({
        status: 'error',
        error: error instanceof ApiError ? error : new ApiError(0, 'NETWORK', String(error)),
      });
    } finally {
      // The month's usage in Settings › AI moved.
      void queryClient.invalidateQueries({ queryKey: aiKeys.settings });
    }
  }

  const canRun =
    run.status !== 'running' &&
    (mode === 'compose' ? objective.trim().length > 0 : props.body.trim().length > 0);

  function apply(variant: AiVariant, how: 'insert' | 'replace', resultChannel: TemplateChannel) {
    if (resultChannel !== props.channel && props.onChannel) props.onChannel(resultChannel);
    if (variant.subject !== null && (how === 'replace' || !props.subject.trim() || variant.body === null))
      props.onSubject(variant.subject);
    if (variant.body !== null) {
      if (how === 'replace' || !props.body.trim()) props.onBody(variant.body);
      else props.onBody(`${props.body}${resultChannel === 'email' ? '' : '\n'}${variant.body}`);
    }
  }

  const errorText = (error: ApiError) =>
    (AI_ERROR_CODES as readonly string[]).includes(error.code)
      ? t(`ai.errors.${error.code as (typeof AI_ERROR_CODES)[number]}`, { message: error.message })
      : error.message;

  const running = run.status === 'running' ? run : null;
  const done = run.status === 'done' ? run.entry : null;

  return (
    <Paper withBorder radius="md" p="sm" component="section" aria-labelledby={`${ids}-title`}>
      <UnstyledButton
        onClick={() => setOpen((o) => !o)}
        w="100%"
        aria-expanded={open}
        aria-controls={`${ids}-body`}
      >
        <Group justify="space-between">
          <Group gap="xs">
            <IconSparkles size={18} aria-hidden />
            <Title order={3} size="h5" id={`${ids}-title`}>
              {t('ai.panel.title')}
            </Title>
          </Group>
          {open ? <IconChevronUp size={16} aria-hidden /> : <IconChevronDown size={16} aria-hidden />}
        </Group>
      </UnstyledButton>
      <Collapse expanded={open} id={`${ids}-body`}>
        <Stack gap="sm" mt="sm">
          <SegmentedControl
            aria-label={t('ai.panel.mode')}
            value={mode}
            onChange={(v) => setMode(v as 'compose' | 'rewrite')}
            data={[
              { value: 'compose', label: t('ai.panel.compose') },
              { value: 'rewrite', label: t('ai.panel.rewrite') },
            ]}
          />
          {mode === 'compose' ? (
            <Textarea
              label={t('ai.panel.objective')}
              placeholder={t('ai.panel.objectivePlaceholder')}
              value={objective}
              onChange={(e) => setObjective(e.currentTarget.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && canRun) void start();
              }}
              autosize
              minRows={2}
              maxLength={2000}
            />
          ) : (
            <Select
              label={t('ai.panel.operation')}
              data={operations.map((op) => ({ value: op, label: t(`ai.operations.${op}`) }))}
              value={operation}
              onChange={(v) => v && setOperation(v as OperationChoice)}
              allowDeselect={false}
            />
          )}
          {mode === 'rewrite' && !props.body.trim() ? (
            <Text size="sm" c="dimmed">
              {t('ai.panel.nothingToRewrite')}
            </Text>
          ) : null}
          <Group grow align="flex-start">
            <Select
              label={t('ai.panel.tone')}
              data={TONES.map((v) => ({ value: v, label: t(`ai.tones.${v}`) }))}
              value={tone}
              onChange={(v) => v && setTone(v)}
              allowDeselect={false}
            />
            {mode === 'compose' || operation === 'translate' ? (
              <Select
                label={t('ai.panel.language')}
                data={LANGUAGES.map((code) => ({ value: code, label: languageName(code) }))}
                value={language}
                onChange={(v) => v && setLanguage(v)}
                allowDeselect={false}
                searchable
              />
            ) : null}
            <NumberInput
              label={t('ai.panel.variants')}
              min={1}
              max={5}
              value={variants}
              onChange={(v) => setVariants(Math.min(5, Math.max(1, Number(v) || 1)))}
              clampBehavior="strict"
            />
            {props.channel === 'sms' || operation === 'adapt_sms' ? (
              <NumberInput
                label={t('ai.panel.smsParts')}
                min={1}
                max={10}
                value={smsSegments}
                onChange={(v) => setSmsSegments(Math.min(10, Math.max(1, Number(v) || 1)))}
              />
            ) : null}
          </Group>
          {mode === 'compose' ? (
            <SegmentPicker
              label={t('ai.panel.audience')}
              description={t('ai.panel.audienceHelp')}
              placeholder={t('ai.panel.noAudience')}
              value={segmentId}
              onChange={(id) => {
                setSegmentId(id);
                if (id) setClientId(null);
              }}
              clearable
            />
          ) : null}
          {mode === 'compose' ? (
            <ClientPicker
              label={t('ai.panel.forClient')}
              description={t('ai.panel.forClientHelp')}
              value={clientId}
              onChange={(id) => {
                setClientId(id);
                if (id) setSegmentId(null);
              }}
            />
          ) : null}
          <Alert variant="light" color="gray" icon={<IconLock size={18} aria-hidden />} p="xs">
            <Text size="xs">
              {mode === 'rewrite'
                ? t('ai.privacy.rewrite')
                : clientId
                  ? props.shareClientDetails
                    ? t('ai.privacy.composeWithClientDetails')
                    : t('ai.privacy.composeWithClient')
                  : segmentId
                    ? t('ai.privacy.composeWithAudience')
                    : t('ai.privacy.compose')}
            </Text>
          </Alert>
          <Group>
            <Button
              leftSection={<IconSparkles size={16} />}
              onClick={() => void start()}
              disabled={!canRun}
              loading={run.status === 'running'}
            >
              {mode === 'compose' ? t('ai.panel.write') : t('ai.panel.rewriteButton')}
            </Button>
            {done ? (
              <Button
                variant="default"
                leftSection={<IconRefresh size={16} />}
                onClick={() => void start(done)}
              >
                {t('ai.panel.regenerate')}
              </Button>
            ) : null}
            {running ? (
              <Button variant="subtle" color="gray" onClick={() => abort.current?.abort()}>
                {t('common.cancel')}
              </Button>
            ) : null}
          </Group>

          {running ? (
            <Stack gap={4} role="status" aria-live="polite">
              <Group gap="xs">
                <Loader size="xs" />
                <Text size="sm">
                  {running.text
                    ? t('ai.panel.writing', { count: running.text.length })
                    : t('ai.panel.waiting', { model: running.model ?? '…' })}
                </Text>
              </Group>
              <Progress value={100} animated striped size="sm" aria-hidden />
              {running.text ? (
                <Code block fz="xs" mah={120} style={{ overflow: 'auto' }}>
                  {running.text.slice(-600)}
                </Code>
              ) : null}
            </Stack>
          ) : null}

          {run.status === 'error' ? (
            <Alert
              color="red"
              icon={<IconAlertTriangle size={18} />}
              title={t('ai.panel.failed')}
              role="alert"
            >
              <Stack gap="xs">
                <Text size="sm">{errorText(run.error)}</Text>
                <Group>
                  <Button size="xs" variant="light" onClick={() => void start()} disabled={!canRun}>
                    {t('ai.panel.tryAgain')}
                  </Button>
                </Group>
              </Stack>
            </Alert>
          ) : null}

          {done ? (
            <Results
              entry={done}
              channel={props.channel}
              canSwitchChannel={Boolean(props.onChannel)}
              onApply={apply}
              showSent={showSent}
              onToggleSent={() => setShowSent((s) => !s)}
            />
          ) : null}

          {history.length > 0 ? (
            <Stack gap={4}>
              <Text size="sm" fw={500}>
                {t('ai.panel.history')}
              </Text>
              <List size="sm" spacing={2} listStyleType="none">
                {history.slice(0, 10).map((entry) => (
                  <List.Item key={entry.id}>
                    <UnstyledButton
                      onClick={() => setRun({ status: 'done', entry })}
                      aria-current={done?.id === entry.id ? 'true' : undefined}
                    >
                      <Text size="sm" c={done?.id === entry.id ? undefined : 'dimmed'} lineClamp={1}>
                        {entry.at.toLocaleTimeString(i18n.resolvedLanguage, {
                          hour: '2-digit',
                          minute: '2-digit',
                        })}
                        {' · '}
                        {entry.label}
                        {' · '}
                        {t('ai.panel.variantCount', { count: entry.result.variants.length })}
                      </Text>
                    </UnstyledButton>
                  </List.Item>
                ))}
              </List>
            </Stack>
          ) : null}
        </Stack>
      </Collapse>
    </Paper>
  );
}

function Results(props: {
  entry: HistoryEntry;
  channel: TemplateChannel;
  canSwitchChannel: boolean;
  onApply(variant: AiVariant, how: 'insert' | 'replace', channel: TemplateChannel): void;
  showSent: boolean;
  onToggleSent(): void;
}) {
  const { t } = useTranslation();
  const { result } = props.entry;
  const sent = result.sent_to_model;
  const otherChannel = result.channel !== props.channel;
  const [copied, setCopied] = useState<number | null>(null);
  return (
    <Stack gap="sm">
      <Group justify="space-between" align="flex-start">
        <Text size="xs" c="dimmed">
          {sent.audience ? t('ai.sent.facts', { count: sent.audience.count }) : t('ai.sent.noAudience')}
          {sent.clients?.length ? ` ${t('ai.sent.clients', { count: sent.clients.length })}` : ''}{' '}
          {t('ai.sent.tokens', { count: result.usage.prompt_tokens + result.usage.completion_tokens })}
        </Text>
        <Button
          size="compact-xs"
          variant="subtle"
          onClick={props.onToggleSent}
          aria-expanded={props.showSent}
        >
          {props.showSent ? t('ai.sent.hide') : t('ai.sent.show')}
        </Button>
      </Group>
      <Collapse expanded={props.showSent}>
        <Code block fz="xs" mah={200} style={{ overflow: 'auto' }} aria-label={t('ai.sent.show')}>
          {JSON.stringify({ audience: sent.audience, clients: sent.clients }, null, 2)}
        </Code>
      </Collapse>
      <SimpleGrid
        cols={{ base: 1, sm: Math.min(result.variants.length, 2), xl: Math.min(result.variants.length, 3) }}
      >
        {result.variants.map((variant, index) => (
          <Paper
            // biome-ignore lint/suspicious/noArrayIndexKey: variants have no id; their order is their identity
            key={index}
            withBorder
            radius="md"
            p="sm"
            component="article"
            aria-label={t('ai.variant.label', { number: index + 1 })}
          >
            <Stack gap={6} h="100%" justify="space-between">
              <Stack gap={6}>
                <Group gap={4}>
                  <Badge size="sm" variant="light" color="gray">
                    {t('ai.variant.label', { number: index + 1 })}
                  </Badge>
                  {variant.body !== null ? (
                    variant.valid ? (
                      <Badge size="sm" color="teal" leftSection={<IconCheck size={12} />}>
                        {t('ai.variant.valid')}
                      </Badge>
                    ) : (
                      <Badge size="sm" color="red">
                        {t('ai.variant.invalid')}
                      </Badge>
                    )
                  ) : null}
                  {variant.claims.length ? (
                    <Badge size="sm" color="orange">
                      {t('ai.variant.claims', { count: variant.claims.length })}
                    </Badge>
                  ) : null}
                  {variant.sms ? (
                    <Badge size="sm" variant="outline">
                      {t('ai.variant.smsParts', { count: variant.sms.segments })}
                    </Badge>
                  ) : null}
                </Group>
                {variant.subject !== null ? (
                  <Text size="sm" fw={600}>
                    {highlighted(
                      variant.subject,
                      variant.claims.filter((c) => c.field === 'subject'),
                      (claim) => t('ai.variant.claimTitle', { claim }),
                    )}
                  </Text>
                ) : null}
                {variant.body !== null ? (
                  <Text
                    size="sm"
                    style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}
                    ff={result.channel === 'email' ? 'monospace' : undefined}
                    fz={result.channel === 'email' ? 'xs' : 'sm'}
                  >
                    {highlighted(
                      variant.body,
                      variant.claims.filter((c) => c.field === 'body'),
                      (claim) => t('ai.variant.claimTitle', { claim }),
                    )}
                  </Text>
                ) : null}
                {variant.claims.map((claim) => (
                  <Text key={`${claim.field}-${claim.start}`} size="xs" c="orange.8">
                    {t('ai.variant.claimWarning', { claim: claim.claim })}
                  </Text>
                ))}
                {variant.problems.map((problem) => (
                  <Text
                    key={`${problem.path}-${problem.line}-${problem.column}-${problem.message}`}
                    size="xs"
                    c="red.7"
                  >
                    {problem.line
                      ? `${t('templates.position', { line: problem.line, column: problem.column })}: `
                      : ''}
                    {problem.message}
                  </Text>
                ))}
                {variant.repairs.map((repair) => (
                  <Text key={`${repair.field}-${repair.from}`} size="xs" c="dimmed">
                    {t('ai.variant.repaired', { from: repair.from, to: repair.to })}
                  </Text>
                ))}
                {variant.warnings.map((warning) => (
                  <Text key={`${warning.code}-${warning.message}`} size="xs" c="yellow.8">
                    {warning.message}
                  </Text>
                ))}
              </Stack>
              <Group gap="xs" mt={4}>
                {otherChannel && !props.canSwitchChannel ? (
                  <Button
                    size="xs"
                    variant="light"
                    leftSection={<IconCopy size={14} />}
                    onClick={() => {
                      void navigator.clipboard?.writeText(variant.body ?? variant.subject ?? '');
                      setCopied(index);
                    }}
                  >
                    {copied === index ? t('ai.variant.copied') : t('ai.variant.copy')}
                  </Button>
                ) : (
                  <>
                    <Button
                      size="xs"
                      leftSection={<IconReplace size={14} />}
                      onClick={() => props.onApply(variant, 'replace', result.channel)}
                    >
                      {otherChannel
                        ? t('ai.variant.useAs', { channel: t(`templates.channels.${result.channel}`) })
                        : variant.body === null
                          ? t('ai.variant.useSubject')
                          : t('ai.variant.replace')}
                    </Button>
                    {!otherChannel && variant.body !== null ? (
                      <Button
                        size="xs"
                        variant="default"
                        leftSection={<IconRowInsertBottom size={14} />}
                        onClick={() => props.onApply(variant, 'insert', result.channel)}
                      >
                        {t('ai.variant.insert')}
                      </Button>
                    ) : null}
                  </>
                )}
              </Group>
            </Stack>
          </Paper>
        ))}
      </SimpleGrid>
      <Text size="xs" c="dimmed">
        <IconArrowBackUp size={12} aria-hidden /> {t('ai.panel.nothingSent')}
      </Text>
    </Stack>
  );
}
