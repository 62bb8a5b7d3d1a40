import { ActionIcon, Badge, Button, Code, Text, Tooltip, VisuallyHidden } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import dayjs from 'dayjs';
import { useTranslation } from 'react-i18next';
import { useApiKeys, useRevokeApiKey } from '../../../api/api-keys';
import type { ApiKey } from '../../../api/types';
import { useConfirm } from '../../../ui/confirm';
import { type Column, DataTable } from '../../../ui/DataTable';
import { DateTime } from '../../../ui/DateTime';
import { useErrorMessage } from '../../../ui/errors';
import { notifyError, notifySuccess } from '../../../ui/notify';
import { PageHeader } from '../../../ui/PageHeader';
import { RoleBadge } from '../../../ui/RoleBadge';
import { SettingsSection } from '../../../ui/SettingsSection';
import { ApiKeysEmpty } from './ApiKeysEmpty';
import { CreateApiKeyModal } from './CreateApiKeyModal';

type KeyStatus = 'active' | 'revoked' | 'expired';

function statusOf(key: ApiKey): KeyStatus {
  if (key.revoked_at) return 'revoked';
  if (key.expires_at && dayjs(key.expires_at).isBefore(dayjs())) return 'expired';
  return 'active';
}

const STATUS_COLORS: Record<KeyStatus, string> = { active: 'teal', revoked: 'gray', expired: 'orange' };

function RevokeKeyButton({ apiKey }: { apiKey: ApiKey }) {
  const { t } = useTranslation();
  const revoke = useRevokeApiKey();
  const confirm = useConfirm();
  const errorMessage = useErrorMessage();
  const label = t('settings.apiKeys.revokeNamed', { name: apiKey.name });
  const ask = () =>
    confirm({
      title: t('settings.apiKeys.revokeTitle'),
      message: t('settings.apiKeys.revokeText', { name: apiKey.name }),
      confirmLabel: t('settings.apiKeys.revoke'),
      onConfirm: () =>
        revoke.mutate(apiKey.id, {
          onSuccess: () => notifySuccess(t('settings.apiKeys.revoked', { name: apiKey.name })),
          onError: (error) => notifyError(errorMessage(error)),
        }),
    });
  return (
    <Tooltip label={label} withArrow>
      <ActionIcon variant="subtle" color="red" onClick={ask} aria-label={label} loading={revoke.isPending}>
        <IconTrash size={18} aria-hidden />
      </ActionIcon>
    </Tooltip>
  );
}

export function ApiKeysPage() {
  const { t } = useTranslation();
  const keys = useApiKeys();
  const [creating, createModal] = useDisclosure(false);

  const columns: Column<ApiKey>[] = [
    {
      key: 'name',
      header: t('settings.apiKeys.name'),
      render: (key) => (
        <Text size="sm" fw={600}>
          {key.name}
        </Text>
      ),
    },
    { key: 'role', header: t('settings.members.role'), render: (key) => <RoleBadge role={key.role} /> },
    { key: 'prefix', header: t('settings.apiKeys.key'), render: (key) => <Code>{`${key.prefix}…`}</Code> },
    {
      key: 'created',
      header: t('settings.apiKeys.created'),
      render: (key) => <DateTime value={key.created_at} />,
    },
    {
      key: 'lastUsed',
      header: t('settings.apiKeys.lastUsed'),
      render: (key) => <DateTime value={key.last_used_at} empty={t('common.never')} />,
    },
    {
      key: 'status',
      header: t('settings.apiKeys.status'),
      render: (key) => {
        const status = statusOf(key);
        return (
          <Badge variant="dot" color={STATUS_COLORS[status]}>
            {t(`settings.apiKeys.statuses.${status}`)}
          </Badge>
        );
      },
    },
    {
      key: 'actions',
      header: <VisuallyHidden>{t('common.actions')}</VisuallyHidden>,
      align: 'right',
      render: (key) => (statusOf(key) === 'active' ? <RevokeKeyButton apiKey={key} /> : null),
    },
  ];

  const createButton = (
    <Button leftSection={<IconPlus size={18} aria-hidden />} onClick={createModal.open}>
      {t('settings.apiKeys.create')}
    </Button>
  );
  const hasKeys = (keys.data?.items.length ?? 0) > 0;

  return (
    <>
      <PageHeader
        title={t('settings.apiKeys.title')}
        description={t('settings.apiKeys.description')}
        actions={hasKeys ? createButton : undefined}
      />
      <SettingsSection
        flush
        title={t('settings.apiKeys.listTitle')}
        description={t('settings.apiKeys.listDescription')}
      >
        <DataTable
          label={t('settings.apiKeys.listTitle')}
          columns={columns}
          rows={keys.data?.items}
          rowKey={(key) => key.id}
          loading={keys.isPending}
          error={keys.error}
          onRetry={() => void keys.refetch()}
          minWidth={820}
          hasMore={keys.hasNextPage}
          loadingMore={keys.isFetchingNextPage}
          onLoadMore={() => void keys.fetchNextPage()}
          empty={<ApiKeysEmpty>{createButton}</ApiKeysEmpty>}
        />
      </SettingsSection>
      <CreateApiKeyModal opened={creating} onClose={createModal.close} />
    </>
  );
}
