import {
  ActionIcon,
  Alert,
  Button,
  Group,
  List,
  Menu,
  Modal,
  NumberInput,
  Stack,
  Text,
  Textarea,
  TextInput,
  Tooltip,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDisclosure } from '@mantine/hooks';
import {
  IconAlertTriangle,
  IconArchive,
  IconArchiveOff,
  IconDots,
  IconDownload,
  IconGauge,
  IconTrash,
} from '@tabler/icons-react';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  type Client,
  downloadClientExport,
  useArchiveClient,
  useEraseClient,
  useRiskOverride,
} from '../../../api/clients';
import { useMe } from '../../../api/me';
import { hasRole } from '../../../lib/roles';
import { useErrorMessage } from '../../../ui/errors';
import { notifyError, notifySuccess } from '../../../ui/notify';
import { applyServerErrors } from '../../../ui/server-errors';

/** Admin-only actions on a client: archive or restore, GDPR export and erase, churn risk override. Hidden from other roles. */
export function AdminMenu({ client, onErased }: { client: Client; onErased: () => void }) {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const errorMessage = useErrorMessage();
  const [erasing, eraseModal] = useDisclosure(false);
  const [overriding, riskModal] = useDisclosure(false);
  const [exporting, setExporting] = useState(false);
  const archive = useArchiveClient(client.id);
  if (!hasRole(me?.role, 'admin')) return null;

  const archived = Boolean(client.archived_at);
  const toggleArchived = () =>
    archive.mutate(!archived, {
      onSuccess: () =>
        notifySuccess(
          t(archived ? 'clients.archive.restored' : 'clients.archive.done', { name: client.name }),
        ),
      onError: (error) => notifyError(errorMessage(error)),
    });

  const exportData = async () => {
    setExporting(true);
    try {
      await downloadClientExport(client);
      notifySuccess(t('clients.admin.exported', { name: client.name }));
    } catch (error) {
      notifyError(errorMessage(error));
    } finally {
      setExporting(false);
    }
  };

  return (
    <>
      <Menu position="bottom-end" shadow="md" withinPortal width={240}>
        <Menu.Target>
          <Tooltip label={t('clients.admin.menu')} withArrow>
            <ActionIcon
              variant="subtle"
              color="gray"
              size="lg"
              aria-label={t('clients.admin.menu')}
              loading={exporting || archive.isPending}
            >
              <IconDots size={20} aria-hidden />
            </ActionIcon>
          </Tooltip>
        </Menu.Target>
        <Menu.Dropdown>
          <Menu.Label>{t('clients.admin.title')}</Menu.Label>
          <Menu.Item
            leftSection={
              archived ? <IconArchiveOff size={16} aria-hidden /> : <IconArchive size={16} aria-hidden />
            }
            onClick={toggleArchived}
          >
            {t(archived ? 'clients.admin.unarchive' : 'clients.admin.archive')}
          </Menu.Item>
          <Menu.Item leftSection={<IconDownload size={16} aria-hidden />} onClick={() => void exportData()}>
            {t('clients.admin.export')}
          </Menu.Item>
          <Menu.Item leftSection={<IconGauge size={16} aria-hidden />} onClick={riskModal.open}>
            {t('clients.admin.risk')}
          </Menu.Item>
          <Menu.Divider />
          <Menu.Item color="red" leftSection={<IconTrash size={16} aria-hidden />} onClick={eraseModal.open}>
            {t('clients.admin.erase')}
          </Menu.Item>
        </Menu.Dropdown>
      </Menu>
      <Modal opened={erasing} onClose={eraseModal.close} title={t('clients.erase.title')} centered size="lg">
        {erasing ? <EraseForm client={client} onCancel={eraseModal.close} onErased={onErased} /> : null}
      </Modal>
      <Modal opened={overriding} onClose={riskModal.close} title={t('clients.riskOverride.title')} centered>
        {overriding ? <RiskForm client={client} onDone={riskModal.close} /> : null}
      </Modal>
    </>
  );
}

function EraseForm({
  client,
  onCancel,
  onErased,
}: {
  client: Client;
  onCancel: () => void;
  onErased: () => void;
}) {
  const { t } = useTranslation();
  const erase = useEraseClient(client.id);
  const errorMessage = useErrorMessage();
  const [typed, setTyped] = useState('');
  const matches = typed.trim().toLocaleLowerCase() === client.name.trim().toLocaleLowerCase();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!matches) return;
    erase.mutate(undefined, {
      onSuccess: () => {
        notifySuccess(t('clients.erase.done', { name: client.name }));
        onCancel();
        onErased();
      },
      onError: (error) => notifyError(errorMessage(error)),
    });
  };

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <Alert color="red" variant="light" icon={<IconAlertTriangle size={20} aria-hidden />}>
          {t('clients.erase.warning')}
        </Alert>
        <List size="sm" spacing={4}>
          <List.Item>{t('clients.erase.what1')}</List.Item>
          <List.Item>{t('clients.erase.what2')}</List.Item>
          <List.Item>{t('clients.erase.what3')}</List.Item>
        </List>
        <TextInput
          label={t('clients.erase.typeName', { name: client.name })}
          value={typed}
          onChange={(event) => setTyped(event.currentTarget.value)}
          autoComplete="off"
          data-autofocus
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" color="red" disabled={!matches} loading={erase.isPending}>
            {t('clients.erase.confirm')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

interface RiskValues {
  score: number | string;
  reason: string;
}

function RiskForm({ client, onDone }: { client: Client; onDone: () => void }) {
  const { t } = useTranslation();
  const override = useRiskOverride(client.id);
  const errorMessage = useErrorMessage();
  const form = useForm<RiskValues>({
    initialValues: { score: client.risk_override?.score ?? client.risk_score ?? '', reason: '' },
    validate: {
      score: (value) =>
        value === ''
          ? t('validation.required')
          : Number.isInteger(Number(value)) && Number(value) >= 0 && Number(value) <= 100
            ? null
            : t('clients.riskOverride.scoreRange'),
      reason: (value) => (value.trim() ? null : t('clients.riskOverride.reasonRequired')),
    },
  });

  const send = (score: number | null, reason: string) =>
    override.mutate(
      { score, reason: reason.trim() },
      {
        onSuccess: () => {
          notifySuccess(
            score === null ? t('clients.riskOverride.removed') : t('clients.riskOverride.saved', { score }),
          );
          onDone();
        },
        onError: (error) => {
          if (!applyServerErrors(form, error, ['score', 'reason'])) notifyError(errorMessage(error));
        },
      },
    );

  return (
    <form onSubmit={form.onSubmit((values) => send(Number(values.score), values.reason))} noValidate>
      <Stack>
        <Text size="sm" c="dimmed">
          {t('clients.riskOverride.intro')}
        </Text>
        {client.risk_override ? (
          <Alert variant="light" color="blue">
            {t('clients.riskOverride.current', {
              score: client.risk_override.score,
              reason: client.risk_override.reason ?? '—',
            })}
          </Alert>
        ) : null}
        <NumberInput
          label={t('clients.riskOverride.score')}
          description={t('clients.riskOverride.scoreHelp')}
          min={0}
          max={100}
          step={1}
          allowDecimal={false}
          data-autofocus
          {...form.getInputProps('score')}
        />
        <Textarea
          label={t('clients.riskOverride.reason')}
          placeholder={t('clients.riskOverride.reasonPlaceholder')}
          required
          autosize
          minRows={2}
          maxLength={1000}
          {...form.getInputProps('reason')}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && (event.metaKey || event.ctrlKey)) {
              event.preventDefault();
              event.currentTarget.form?.requestSubmit();
            }
          }}
        />
        <Group justify="space-between">
          {client.risk_override ? (
            <Button
              variant="subtle"
              color="gray"
              onClick={() => {
                const validation = form.validateField('reason');
                if (!validation.hasError) send(null, form.values.reason);
              }}
            >
              {t('clients.riskOverride.remove')}
            </Button>
          ) : (
            <span />
          )}
          <Group gap="sm">
            <Button variant="default" onClick={onDone}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={override.isPending}>
              {t('clients.riskOverride.submit')}
            </Button>
          </Group>
        </Group>
      </Stack>
    </form>
  );
}
