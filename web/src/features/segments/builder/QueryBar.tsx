import {
  ActionIcon,
  Box,
  Code,
  Group,
  Loader,
  Popover,
  Stack,
  Text,
  TextInput,
  Tooltip,
  UnstyledButton,
} from '@mantine/core';
import { IconArrowBackUp, IconCornerDownLeft, IconHelp, IconTerminal2 } from '@tabler/icons-react';
import { useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { isApiError } from '../../../api/client';
import { parseSegmentQuery, type SegmentNode } from '../../../api/segments';
import { useErrorMessage } from '../../../ui/errors';
import { type ReportedProblem, useProblemText, useQueryErrorText } from '../problems';

interface Props {
  /** The tree's text form; null when the syntax can't write it. */
  text: string | null;
  onApply: (definition: SegmentNode) => void;
  readOnly: boolean;
}

/** A syntax error as the parse endpoint reports it: the English message, and its code with params. */
interface QueryProblem extends ReportedProblem {
  column: number;
  length: number;
}

export const QUERY_EXAMPLES = [
  'tag:vip',
  'city:Madrid,Valencia',
  'ltv>500',
  'booking.count(180d)>=3',
  'consent:whatsapp',
  '-tag:blocked',
  '(label:prospect OR created<30d)',
];

/**
 * The tree as one line of text, kept in step with the builder. Typing a query and pressing Enter asks the
 * server to parse it and replaces the tree; a mistake is shown with a caret under its column. Escape
 * goes back to the builder's text.
 */
export function QueryBar({ text, onApply, readOnly }: Props) {
  const { t } = useTranslation();
  const problemText = useProblemText();
  const queryErrorText = useQueryErrorText();
  const errorMessage = useErrorMessage();
  const inputId = useId();
  const errorId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [draft, setDraft] = useState<string | null>(null);
  const [problem, setProblem] = useState<QueryProblem | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [parsing, setParsing] = useState(false);
  const abort = useRef<AbortController | null>(null);
  const editing = draft !== null;
  const shown = editing ? draft : (text ?? '');

  // The builder changed the tree: the text follows, and an old error no longer applies.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset when the tree's text changes
  useEffect(() => {
    if (!editing) {
      setProblem(null);
      setFailure(null);
    }
  }, [text]);

  useEffect(() => () => abort.current?.abort(), []);

  const revert = () => {
    abort.current?.abort();
    setDraft(null);
    setProblem(null);
    setFailure(null);
    setParsing(false);
  };

  const apply = async () => {
    const q = shown.trim();
    if (!editing) return;
    if (!q) {
      onApply({ all: [] });
      revert();
      return;
    }
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    setParsing(true);
    setProblem(null);
    setFailure(null);
    try {
      const result = await parseSegmentQuery(q, controller.signal);
      onApply(result.definition);
      setDraft(null);
    } catch (error) {
      if (controller.signal.aborted) return;
      const detail = isApiError(error)
        ? (error.details.find((item) => typeof (item as { column?: unknown }).column === 'number') as
            | (QueryProblem & { path?: string })
            | undefined)
        : undefined;
      if (detail) {
        setProblem({
          column: detail.column,
          length: Math.max(1, detail.length ?? 1),
          message: detail.message,
          ...(detail.code ? { code: detail.code } : {}),
          ...(detail.params ? { params: detail.params } : {}),
        });
      } else if (isApiError(error) && error.details.length) {
        setFailure(error.details.map(problemText).join(' · '));
      } else {
        setFailure(errorMessage(error));
      }
    } finally {
      if (abort.current === controller) setParsing(false);
    }
  };

  const insertExample = (example: string) => {
    const base = shown.trim();
    setDraft(base ? `${base} ${example}` : example);
    setProblem(null);
    requestAnimationFrame(() => inputRef.current?.focus());
  };

  const description = readOnly
    ? undefined
    : editing
      ? t('segments.query.pressEnter')
      : text === null
        ? t('segments.query.noText')
        : t('segments.query.hint');

  return (
    <Stack gap={4}>
      <Group gap={6}>
        <Text component="label" htmlFor={inputId} size="sm" fw={500}>
          {t('segments.query.label')}
        </Text>
        <Popover width={320} position="bottom-start" withArrow shadow="md">
          <Popover.Target>
            <ActionIcon variant="subtle" color="gray" size="sm" aria-label={t('segments.query.help')}>
              <IconHelp size={16} aria-hidden />
            </ActionIcon>
          </Popover.Target>
          <Popover.Dropdown>
            <Text size="sm" mb="xs">
              {t('segments.query.helpText')}
            </Text>
            <Stack gap={4} align="flex-start">
              {QUERY_EXAMPLES.map((example) => (
                <UnstyledButton
                  key={example}
                  onClick={() => insertExample(example)}
                  disabled={readOnly}
                  aria-label={t('segments.query.insert', { example })}
                >
                  <Code>{example}</Code>
                </UnstyledButton>
              ))}
            </Stack>
          </Popover.Dropdown>
        </Popover>
      </Group>
      <TextInput
        ref={inputRef}
        id={inputId}
        description={description}
        value={shown}
        placeholder={text === null ? '' : t('segments.query.placeholder')}
        onChange={(event) => {
          setDraft(event.currentTarget.value);
          setProblem(null);
          setFailure(null);
        }}
        onKeyDown={(event) => {
          if (event.key === 'Enter') {
            event.preventDefault();
            void apply();
          } else if (event.key === 'Escape' && editing) {
            event.preventDefault();
            event.stopPropagation();
            revert();
          }
        }}
        readOnly={readOnly}
        spellCheck={false}
        autoComplete="off"
        autoCapitalize="off"
        leftSection={<IconTerminal2 size={16} aria-hidden />}
        rightSectionWidth={editing ? 64 : undefined}
        rightSection={
          parsing ? (
            <Loader size={16} aria-label={t('segments.query.parsing')} />
          ) : editing ? (
            <Group gap={2} wrap="nowrap">
              <Tooltip label={t('segments.query.revert')} withArrow>
                <ActionIcon
                  variant="subtle"
                  color="gray"
                  size="sm"
                  aria-label={t('segments.query.revert')}
                  onClick={revert}
                >
                  <IconArrowBackUp size={16} aria-hidden />
                </ActionIcon>
              </Tooltip>
              <Tooltip label={t('segments.query.apply')} withArrow>
                <ActionIcon
                  variant="subtle"
                  size="sm"
                  aria-label={t('segments.query.apply')}
                  onClick={() => void apply()}
                >
                  <IconCornerDownLeft size={16} aria-hidden />
                </ActionIcon>
              </Tooltip>
            </Group>
          ) : null
        }
        error={problem || failure ? true : undefined}
        aria-describedby={problem || failure ? errorId : undefined}
        styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 13 } }}
        data-testid="segment-query"
      />
      {problem ? (
        <Box id={errorId} role="alert" data-testid="segment-query-error">
          <Box
            component="pre"
            m={0}
            p="xs"
            fz={13}
            ff="monospace"
            bg="var(--mantine-color-red-light)"
            style={{ borderRadius: 'var(--mantine-radius-sm)', overflowX: 'auto', lineHeight: 1.45 }}
          >
            {shown}
            {'\n'}
            <Text span c="red" fw={700} ff="monospace" fz={13} aria-hidden>
              {`${' '.repeat(Math.max(0, problem.column - 1))}${'^'.repeat(problem.length)}`}
            </Text>
          </Box>
          <Text size="sm" c="red" mt={4}>
            {t('segments.query.errorAt', { column: problem.column, message: queryErrorText(problem) })}
          </Text>
        </Box>
      ) : failure ? (
        <Text id={errorId} role="alert" size="sm" c="red">
          {failure}
        </Text>
      ) : null}
    </Stack>
  );
}
