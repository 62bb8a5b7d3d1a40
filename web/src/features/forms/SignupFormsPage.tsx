import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Checkbox,
  Group,
  Modal,
  Paper,
  Select,
  Stack,
  Switch,
  Table,
  Text,
  Textarea,
  TextInput,
  Tooltip,
} from '@mantine/core';
import { IconExternalLink, IconForms, IconPencil, IconPlus, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type ErrorDetail, isApiError } from '../../api/client';
import {
  type ConsentChannel,
  type FormFieldKey,
  type SignupForm,
  useDeleteSignupForm,
  useSaveSignupForm,
  useSignupForms,
} from '../../api/forms';
import { useMe } from '../../api/me';
import { hasRole } from '../../lib/roles';
import { CopyValue } from '../../ui/CopyValue';
import { useConfirmedMutation } from '../../ui/confirm';
import { EmptyState } from '../../ui/EmptyState';
import { useErrorMessage } from '../../ui/errors';
import { notifySuccess } from '../../ui/notify';
import { PageHeader } from '../../ui/PageHeader';
import { QueryError } from '../../ui/QueryError';

const FIELD_KEYS: FormFieldKey[] = ['first_name', 'last_name', 'email', 'phone', 'city'];
const CHANNELS: ConsentChannel[] = ['email', 'sms', 'whatsapp'];

export function SignupFormsPage() {
  const { t } = useTranslation();
  const forms = useSignupForms();
  const { data: me } = useMe();
  const canEdit = hasRole(me?.role, 'marketer');
  const [editing, setEditing] = useState<{ form: SignupForm | null } | null>(null);
  const remove = useConfirmedMutation(useDeleteSignupForm());
  const origin = window.location.origin;

  const addButton = canEdit ? (
    <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing({ form: null })}>
      {t('signupForms.new')}
    </Button>
  ) : null;

  return (
    <Stack>
      <PageHeader
        title={t('signupForms.title')}
        description={t('signupForms.description')}
        actions={addButton}
      />
      {forms.data && !forms.data.mail_configured ? (
        <Alert color="yellow" title={t('signupForms.noMailTitle')}>
          {t('signupForms.noMailText')}
        </Alert>
      ) : null}
      {forms.isError ? <QueryError error={forms.error} onRetry={() => forms.refetch()} /> : null}
      {forms.data && forms.data.forms.length === 0 ? (
        <EmptyState
          icon={IconForms}
          title={t('signupForms.emptyTitle')}
          description={t('signupForms.emptyText')}
          framed
        >
          {addButton}
        </EmptyState>
      ) : null}
      {forms.data?.forms.map((form) => {
        const url = `${origin}${form.hosted_path}`;
        const embed = `<iframe src="${url}?embed=1" title="${form.title}" style="width:100%;max-width:480px;height:560px;border:0"></iframe>`;
        return (
          <Paper key={form.id} withBorder radius="md" p="md">
            <Group justify="space-between" align="flex-start">
              <Stack gap={4}>
                <Group gap="xs">
                  <Text fw={600}>{form.name}</Text>
                  {form.active ? null : <Badge color="gray">{t('signupForms.inactive')}</Badge>}
                  {form.double_opt_in ? <Badge variant="light">{t('signupForms.doubleOptIn')}</Badge> : null}
                </Group>
                <Text size="sm" c="dimmed">
                  {t('signupForms.counts', {
                    submissions: form.submissions,
                    pending: form.pending_confirmations,
                  })}
                </Text>
              </Stack>
              <Group gap={4}>
                <Tooltip label={t('signupForms.open')}>
                  <ActionIcon
                    variant="subtle"
                    component="a"
                    href={url}
                    target="_blank"
                    aria-label={t('signupForms.open')}
                  >
                    <IconExternalLink size={16} />
                  </ActionIcon>
                </Tooltip>
                {canEdit ? (
                  <>
                    <Tooltip label={t('signupForms.edit')}>
                      <ActionIcon
                        variant="subtle"
                        aria-label={`${t('signupForms.edit')}: ${form.name}`}
                        onClick={() => setEditing({ form })}
                      >
                        <IconPencil size={16} />
                      </ActionIcon>
                    </Tooltip>
                    <Tooltip label={t('signupForms.delete')}>
                      <ActionIcon
                        variant="subtle"
                        color="red"
                        aria-label={`${t('signupForms.delete')}: ${form.name}`}
                        onClick={() =>
                          remove({
                            id: form.id,
                            title: t('signupForms.deleteTitle'),
                            message: t('signupForms.deleteMessage', { name: form.name }),
                            confirmLabel: t('signupForms.delete'),
                            doneMessage: t('signupForms.deleted'),
                          })
                        }
                      >
                        <IconTrash size={16} />
                      </ActionIcon>
                    </Tooltip>
                  </>
                ) : null}
              </Group>
            </Group>
            <Table mt="sm" withRowBorders={false} verticalSpacing={4}>
              <Table.Tbody>
                <Table.Tr>
                  <Table.Td w={140}>
                    <Text size="sm" c="dimmed">
                      {t('signupForms.link')}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <CopyValue value={url} label={t('signupForms.link')} />
                  </Table.Td>
                </Table.Tr>
                <Table.Tr>
                  <Table.Td>
                    <Text size="sm" c="dimmed">
                      {t('signupForms.embed')}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <CopyValue value={embed} label={t('signupForms.embed')} block />
                  </Table.Td>
                </Table.Tr>
              </Table.Tbody>
            </Table>
          </Paper>
        );
      })}
      {editing ? <FormEditor form={editing.form} onClose={() => setEditing(null)} /> : null}
    </Stack>
  );
}

function FormEditor({ form, onClose }: { form: SignupForm | null; onClose(): void }) {
  const { t } = useTranslation();
  const errorMessage = useErrorMessage();
  const save = useSaveSignupForm();
  const [name, setName] = useState(form?.name ?? '');
  const [title, setTitle] = useState(form?.title ?? '');
  const [locale, setLocale] = useState(form?.locale ?? 'es');
  const [fields, setFields] = useState<Record<FormFieldKey, 'off' | 'optional' | 'required'>>(() => {
    const initial = Object.fromEntries(FIELD_KEYS.map((k) => [k, 'off'])) as Record<
      FormFieldKey,
      'off' | 'optional' | 'required'
    >;
    for (const f of form?.fields ?? [
      { key: 'first_name', required: true },
      { key: 'email', required: true },
    ])
      initial[f.key] = f.required ? 'required' : 'optional';
    return initial;
  });
  const [consents, setConsents] = useState<Record<ConsentChannel, string>>(() => {
    const initial = { email: '', sms: '', whatsapp: '' };
    for (const c of form?.consents ?? []) initial[c.channel] = c.text;
    return initial;
  });
  const [doubleOptIn, setDoubleOptIn] = useState(form?.double_opt_in ?? true);
  const [active, setActive] = useState(form?.active ?? true);
  const [problems, setProblems] = useState<ErrorDetail[]>([]);

  function submit() {
    setProblems([]);
    save.mutate(
      {
        id: form?.id ?? null,
        input: {
          name,
          title: title || name,
          locale,
          fields: FIELD_KEYS.filter((k) => fields[k] !== 'off').map((k) => ({
            key: k,
            required: fields[k] === 'required',
          })),
          consents: CHANNELS.filter((c) => consents[c].trim()).map((c) => ({
            channel: c,
            text: consents[c],
          })),
          double_opt_in: doubleOptIn,
          active,
        },
      },
      {
        onSuccess: () => {
          notifySuccess(t('signupForms.saved'));
          onClose();
        },
        onError: (error) =>
          setProblems(
            isApiError(error, 400) && error.details.length
              ? error.details
              : [{ path: '/', message: errorMessage(error) }],
          ),
      },
    );
  }

  return (
    <Modal opened onClose={onClose} title={form ? t('signupForms.edit') : t('signupForms.new')} size="lg">
      <Stack>
        <Group grow>
          <TextInput
            label={t('signupForms.name')}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            required
          />
          <Select
            label={t('signupForms.language')}
            value={locale}
            onChange={(v) => setLocale(v ?? 'es')}
            data={[
              { value: 'en', label: 'English' },
              { value: 'es', label: 'Español' },
              { value: 'fr', label: 'Français' },
            ]}
            allowDeselect={false}
          />
        </Group>
        <TextInput
          label={t('signupForms.heading')}
          value={title}
          onChange={(e) => setTitle(e.currentTarget.value)}
          placeholder={name}
        />
        <Stack gap={6}>
          <Text size="sm" fw={500}>
            {t('signupForms.fields')}
          </Text>
          {FIELD_KEYS.map((key) => (
            <Group key={key} justify="space-between">
              <Text size="sm">{t(`signupForms.fieldNames.${key}`)}</Text>
              <Select
                aria-label={t(`signupForms.fieldNames.${key}`)}
                w={160}
                size="xs"
                value={fields[key]}
                allowDeselect={false}
                onChange={(v) => setFields({ ...fields, [key]: (v ?? 'off') as 'off' })}
                data={[
                  { value: 'off', label: t('signupForms.fieldOff') },
                  { value: 'optional', label: t('signupForms.fieldOptional') },
                  { value: 'required', label: t('signupForms.fieldRequired') },
                ]}
              />
            </Group>
          ))}
        </Stack>
        <Stack gap={6}>
          <Text size="sm" fw={500}>
            {t('signupForms.consents')}
          </Text>
          <Text size="xs" c="dimmed">
            {t('signupForms.consentsHelp')}
          </Text>
          {CHANNELS.map((channel) => (
            <Textarea
              key={channel}
              label={t(`signupForms.channels.${channel}`)}
              autosize
              minRows={1}
              value={consents[channel]}
              onChange={(e) => setConsents({ ...consents, [channel]: e.currentTarget.value })}
            />
          ))}
        </Stack>
        <Checkbox
          label={t('signupForms.doubleOptInLabel')}
          description={t('signupForms.doubleOptInHelp')}
          checked={doubleOptIn}
          onChange={(e) => setDoubleOptIn(e.currentTarget.checked)}
        />
        <Switch
          label={t('signupForms.active')}
          checked={active}
          onChange={(e) => setActive(e.currentTarget.checked)}
        />
        {problems.length ? (
          <Alert color="red" role="alert">
            {problems.map((p) => (
              <Text key={`${p.path}:${p.message}`} size="sm">
                {p.path} {p.message}
              </Text>
            ))}
          </Alert>
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button loading={save.isPending} onClick={submit}>
            {t('signupForms.save')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
