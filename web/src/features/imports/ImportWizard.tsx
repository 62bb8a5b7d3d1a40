import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Group,
  Paper,
  Radio,
  Select,
  Stack,
  Stepper,
  Table,
  TagsInput,
  Text,
  Textarea,
} from '@mantine/core';
import { IconAlertTriangle, IconArrowLeft, IconArrowRight, IconPlayerPlay } from '@tabler/icons-react';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useSearchParams } from 'react-router';
import { isApiError } from '../../api/client';
import { useCustomFields } from '../../api/custom-fields';
import {
  type ClientImport,
  type ConsentChannel,
  type DryRun,
  type ImportOptions,
  type OnDuplicate,
  uploadImportFile,
  useDryRun,
  useImport,
  useStartImport,
} from '../../api/imports';
import { useMe } from '../../api/me';
import { hasRole } from '../../lib/roles';
import { useErrorMessage } from '../../ui/errors';
import { PageHeader } from '../../ui/PageHeader';
import { FileDrop } from './FileDrop';
import { CountCards } from './ImportCounts';
import { targetOptions } from './targets';

type DetectedType = 'empty' | 'email' | 'phone' | 'date' | 'number' | 'boolean' | 'text';

const IDENTITY_TARGETS = ['first_name', 'last_name', 'full_name', 'email', 'phone'];
const CHANNELS: ConsentChannel[] = ['email', 'sms', 'whatsapp'];
const POLICIES: OnDuplicate[] = ['skip', 'update', 'overwrite', 'create'];

/** /imports/new: upload → mapping → options → dry run → start (then /imports/:id shows progress). */
export function ImportWizard() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const errorMessage = useErrorMessage();
  const [params, setParams] = useSearchParams();
  const existing = useImport(params.get('id') ?? undefined);
  const [imp, setImp] = useState<ClientImport | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [step, setStep] = useState(0);
  const [uploading, setUploading] = useState(false);
  const [progress, setProgress] = useState(0);
  const [uploadError, setUploadError] = useState<string | null>(null);
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const [onDuplicate, setOnDuplicate] = useState<OnDuplicate>('skip');
  const [consent, setConsent] = useState<ConsentChannel[]>([]);
  const [evidence, setEvidence] = useState('');
  const [tags, setTags] = useState<string[]>([]);
  const dryRun = useDryRun();
  const start = useStartImport();

  const adopt = (row: ClientImport) => {
    setImp(row);
    setMapping(Object.fromEntries(row.columns.map((c) => [c.header, c.target])));
    setStep(1);
  };

  useEffect(() => {
    if (existing.data && !imp && existing.data.status === 'uploaded') adopt(existing.data);
  });

  const upload = async (chosen: File, sheet?: string | null) => {
    setFile(chosen);
    setUploading(true);
    setUploadError(null);
    setProgress(0);
    try {
      const row = await uploadImportFile(chosen, { sheet, onProgress: setProgress });
      setParams({ id: row.id }, { replace: true });
      adopt(row);
    } catch (error) {
      setUploadError(isApiError(error, 413) ? t('imports.upload.tooLarge') : errorMessage(error));
    } finally {
      setUploading(false);
    }
  };

  const options: ImportOptions = {
    mapping,
    on_duplicate: onDuplicate,
    consent: Object.fromEntries(consent.map((c) => [c, true])),
    consent_evidence: consent.length ? evidence.trim() || null : null,
    tags,
  };
  const mapsIdentity = Object.values(mapping).some((target) => IDENTITY_TARGETS.includes(target));
  const evidenceMissing = consent.length > 0 && !evidence.trim();

  const review = () => {
    if (!imp) return;
    setStep(3);
    dryRun.mutate({ id: imp.id, options });
  };

  const begin = () => {
    if (!imp) return;
    start.mutate(
      { id: imp.id, options },
      {
        onSuccess: (row) =>
          navigate(`/imports/${row.id}`, { state: { expectedRows: dryRun.data?.total_rows ?? null } }),
      },
    );
  };

  return (
    <Stack gap="lg">
      <PageHeader title={t('imports.wizard.title')} description={t('imports.wizard.description')} />
      <Stepper
        active={step}
        onStepClick={(next) => next < step && setStep(next)}
        allowNextStepsSelect={false}
      >
        <Stepper.Step label={t('imports.steps.upload')} description={imp?.file_name}>
          <Stack mt="md">
            <FileDrop onFile={(f) => void upload(f)} uploading={uploading} progress={progress} />
            {uploadError ? (
              <Alert color="red" icon={<IconAlertTriangle size={18} />} role="alert">
                {uploadError}
              </Alert>
            ) : null}
          </Stack>
        </Stepper.Step>
        <Stepper.Step label={t('imports.steps.mapping')}>
          {imp ? (
            <MappingStep
              imp={imp}
              mapping={mapping}
              onChange={setMapping}
              onSheet={file ? (sheet) => void upload(file, sheet) : undefined}
            />
          ) : null}
          {!mapsIdentity ? (
            <Alert color="yellow" mt="md" icon={<IconAlertTriangle size={18} />}>
              {t('imports.mapping.needIdentity')}
            </Alert>
          ) : null}
          <Group justify="flex-end" mt="md">
            <Button
              disabled={!mapsIdentity}
              rightSection={<IconArrowRight size={16} />}
              onClick={() => setStep(2)}
            >
              {t('imports.wizard.next')}
            </Button>
          </Group>
        </Stepper.Step>
        <Stepper.Step label={t('imports.steps.options')}>
          <Stack mt="md" gap="lg" maw={760}>
            <Radio.Group
              label={t('imports.options.duplicates')}
              description={t('imports.options.duplicatesHelp')}
              value={onDuplicate}
              onChange={(value) => setOnDuplicate(value as OnDuplicate)}
            >
              <Stack gap="xs" mt="xs">
                {POLICIES.map((policy) => (
                  <Radio
                    key={policy}
                    value={policy}
                    label={t(`imports.options.policy.${policy}`)}
                    description={t(`imports.options.policyHelp.${policy}`)}
                  />
                ))}
              </Stack>
            </Radio.Group>
            <Checkbox.Group
              label={t('imports.options.consent')}
              description={t('imports.options.consentHelp')}
              value={consent}
              onChange={(value) => setConsent(value as ConsentChannel[])}
            >
              <Group mt="xs">
                {CHANNELS.map((channel) => (
                  <Checkbox key={channel} value={channel} label={t(`imports.channels.${channel}`)} />
                ))}
              </Group>
            </Checkbox.Group>
            {consent.length ? (
              <Textarea
                label={t('imports.options.evidence')}
                description={t('imports.options.evidenceHelp')}
                required
                autosize
                minRows={2}
                value={evidence}
                onChange={(event) => setEvidence(event.currentTarget.value)}
                error={evidenceMissing ? t('imports.options.evidenceRequired') : undefined}
              />
            ) : null}
            <TagsInput
              label={t('imports.options.tags')}
              description={t('imports.options.tagsHelp')}
              value={tags}
              onChange={setTags}
              maxTags={20}
              clearable
            />
          </Stack>
          <Group justify="space-between" mt="md">
            <Button variant="default" leftSection={<IconArrowLeft size={16} />} onClick={() => setStep(1)}>
              {t('imports.wizard.back')}
            </Button>
            <Button disabled={evidenceMissing} rightSection={<IconArrowRight size={16} />} onClick={review}>
              {t('imports.wizard.dryRun')}
            </Button>
          </Group>
        </Stepper.Step>
        <Stepper.Step label={t('imports.steps.review')}>
          <Stack mt="md">
            {dryRun.isPending ? <Text c="dimmed">{t('imports.review.checking')}</Text> : null}
            {dryRun.error ? (
              <Alert color="red" role="alert" icon={<IconAlertTriangle size={18} />}>
                {errorMessage(dryRun.error)}
                {isApiError(dryRun.error)
                  ? dryRun.error.details.map((d) => (
                      <Text size="sm" key={d.path}>
                        {d.path}: {d.message}
                      </Text>
                    ))
                  : null}
              </Alert>
            ) : null}
            {dryRun.data ? <DryRunSummary result={dryRun.data} mapping={mapping} /> : null}
            {start.error ? (
              <Alert color="red" role="alert">
                {errorMessage(start.error)}
              </Alert>
            ) : null}
          </Stack>
          <Group justify="space-between" mt="md">
            <Button variant="default" leftSection={<IconArrowLeft size={16} />} onClick={() => setStep(2)}>
              {t('imports.wizard.back')}
            </Button>
            <Button
              leftSection={<IconPlayerPlay size={16} />}
              disabled={!dryRun.data}
              loading={start.isPending}
              onClick={begin}
            >
              {t('imports.wizard.start', { count: dryRun.data?.total_rows ?? 0 })}
            </Button>
          </Group>
        </Stepper.Step>
      </Stepper>
    </Stack>
  );
}

function MappingStep(props: {
  imp: ClientImport;
  mapping: Record<string, string>;
  onChange: (mapping: Record<string, string>) => void;
  onSheet?: (sheet: string) => void;
}) {
  const { t } = useTranslation();
  const { data: fields = [] } = useCustomFields();
  const { data: me } = useMe();
  const canCreate = hasRole(me?.role, 'admin');
  const sheets = (props.imp.options.sheets as string[] | undefined) ?? [];
  const counts = useMemo(() => {
    const n = new Map<string, number>();
    for (const target of Object.values(props.mapping)) n.set(target, (n.get(target) ?? 0) + 1);
    return n;
  }, [props.mapping]);
  return (
    <Stack mt="md">
      <Text c="dimmed" size="sm">
        {t('imports.mapping.intro', {
          file: props.imp.file_name,
          format: props.imp.format.toUpperCase(),
          encoding: props.imp.encoding ?? '—',
        })}
        {props.imp.options.saved_mapping ? ` ${t('imports.mapping.saved')}` : ''}
      </Text>
      {sheets.length > 1 && props.onSheet ? (
        <Select
          label={t('imports.mapping.sheet')}
          data={sheets}
          value={(props.imp.options.sheet as string | null) ?? sheets[0]}
          onChange={(value) => value && props.onSheet?.(value)}
          maw={320}
          allowDeselect={false}
        />
      ) : null}
      <Table.ScrollContainer minWidth={760} type="native">
        <Table verticalSpacing="sm" aria-label={t('imports.mapping.table')}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('imports.mapping.column')}</Table.Th>
              <Table.Th>{t('imports.mapping.samples')}</Table.Th>
              <Table.Th>{t('imports.mapping.type')}</Table.Th>
              <Table.Th w={300}>{t('imports.mapping.target')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {props.imp.columns.map((column) => {
              const target = props.mapping[column.header] ?? 'ignore';
              const twice =
                target !== 'ignore' &&
                !['phone', 'email', 'tags'].includes(target) &&
                (counts.get(target) ?? 0) > 1;
              const warnings = column.warnings.filter(
                (w) => !(w.startsWith('not mapped') && target !== 'ignore'),
              );
              return (
                <Table.Tr key={column.header} data-testid="mapping-row">
                  <Table.Td>
                    <Text fw={600}>{column.header}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Stack gap={0}>
                      {column.samples.slice(0, 3).map((sample, i) => (
                        // biome-ignore lint/suspicious/noArrayIndexKey: samples are positional
                        <Text size="sm" c="dimmed" key={i} lineClamp={1} maw={260}>
                          {sample ?? '—'}
                        </Text>
                      ))}
                    </Stack>
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={column.detected_type === 'empty' ? 'gray' : 'blue'}>
                      {t(`imports.types.${column.detected_type as DetectedType}`)}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Select
                      aria-label={t('imports.mapping.targetOf', { column: column.header })}
                      data={targetOptions(t, fields, column.suggested_key, canCreate)}
                      value={target}
                      onChange={(value) =>
                        props.onChange({ ...props.mapping, [column.header]: value ?? 'ignore' })
                      }
                      allowDeselect={false}
                      searchable
                    />
                    {twice ? (
                      <Text size="xs" c="orange" mt={4}>
                        {t('imports.mapping.twice')}
                      </Text>
                    ) : null}
                    {warnings
                      .filter((w) => !w.startsWith('not mapped'))
                      .map((warning) => (
                        <Text size="xs" c="orange" mt={4} key={warning}>
                          {t(`imports.warnings.${warningKey(warning)}`)}
                        </Text>
                      ))}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}

/** The server's warnings in English → translation keys. */
function warningKey(warning: string): 'empty' | 'notEmails' | 'notPhones' | 'notDates' | 'other' {
  if (warning.startsWith('empty')) return 'empty';
  if (warning.includes('emails')) return 'notEmails';
  if (warning.includes('phone')) return 'notPhones';
  if (warning.includes('dates')) return 'notDates';
  return 'other';
}

/** Shown on the first line of a preview row; the other stored values go below it. */
const HEADLINE = new Set(['first_name', 'last_name', 'email', 'phone']);

/**
 * The values a preview row would store besides its name, email and phone, as stored (dates
 * YYYY-MM-DD, numbers with a dot): how 03/04/2025 or 1.234,56 were read is checked here.
 */
function storedValues(
  client: Record<string, unknown>,
  label: (key: string, custom: boolean) => string,
): Array<[string, string]> {
  const shown = (value: unknown) =>
    Array.isArray(value)
      ? value.join(', ')
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
  const present = (value: unknown) =>
    value !== null && value !== undefined && value !== '' && !(Array.isArray(value) && !value.length);
  const out: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(client))
    if (key !== 'custom' && !HEADLINE.has(key) && present(value)) out.push([label(key, false), shown(value)]);
  for (const [key, value] of Object.entries((client.custom as Record<string, unknown> | undefined) ?? {}))
    if (present(value)) out.push([label(key, true), shown(value)]);
  return out;
}

function DryRunSummary({ result, mapping }: { result: DryRun; mapping: Record<string, string> }) {
  const { t } = useTranslation();
  const { data: customFields = [] } = useCustomFields();
  const fieldLabel = (key: string, custom: boolean) =>
    custom
      ? (customFields.find((f) => f.key === key)?.label ??
        // A field the import will create is named after its column.
        Object.keys(mapping).find((header) => mapping[header] === `new.${key}`) ??
        key)
      : t(`exports.fields.${key as 'city'}`, { defaultValue: key });
  return (
    <Stack>
      <Text>{t('imports.review.total', { count: result.total_rows })}</Text>
      <CountCards counts={result.counts} />
      <Paper withBorder radius="md">
        <Table.ScrollContainer minWidth={700} type="native">
          <Table verticalSpacing="xs" aria-label={t('imports.review.preview')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('imports.review.row')}</Table.Th>
                <Table.Th>{t('imports.review.action')}</Table.Th>
                <Table.Th>{t('imports.review.client')}</Table.Th>
                <Table.Th>{t('imports.review.problems')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {result.preview.map((row) => (
                <Table.Tr key={`${row.row}-${row.action}`} data-testid="preview-row">
                  <Table.Td>{row.row}</Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={ACTION_COLOR[row.action]}>
                      {t(`imports.actions.${row.action}`)}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    {row.client ? (
                      <Stack gap={2}>
                        <Text size="sm">
                          {[row.client.first_name, row.client.last_name].filter(Boolean).join(' ')}
                          {row.client.email ? ` · ${row.client.email}` : ''}
                          {row.client.phone ? ` · ${row.client.phone}` : ''}
                        </Text>
                        {storedValues(row.client, fieldLabel).map(([label, value]) => (
                          <Text size="xs" c="dimmed" key={label} data-testid="preview-value">
                            {label}: {value}
                          </Text>
                        ))}
                      </Stack>
                    ) : (
                      '—'
                    )}
                  </Table.Td>
                  <Table.Td>
                    {row.problems.map((p) => (
                      <Text size="xs" c="red" key={`${p.column}-${p.reason}`}>
                        {p.column ? `${p.column}: ` : ''}
                        {p.value ? `"${p.value}" — ` : ''}
                        {p.reason}
                      </Text>
                    ))}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Paper>
    </Stack>
  );
}

const ACTION_COLOR: Record<string, string> = {
  create: 'teal',
  update: 'blue',
  skip: 'gray',
  invalid: 'red',
  suppressed: 'orange',
};
