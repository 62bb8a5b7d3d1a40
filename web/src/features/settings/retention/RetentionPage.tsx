import { List, Skeleton, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useMe } from '../../../api/me';
import { useWorkspace } from '../../../api/workspace';
import { hasRole } from '../../../lib/roles';
import { QueryError } from '../../../ui/QueryError';
import { SettingsPage } from '../../../ui/SettingsPage';
import { SettingsSection } from '../../../ui/SettingsSection';
import { EraseNow } from './EraseNow';
import { RetentionSetting } from './RetentionSetting';

/**
 * GDPR storage limitation: erase clients nobody has worked with for N months, every night or
 * once now. Everyone sees the setting; admins change it and see who it would erase; owners erase now.
 */
export function RetentionPage() {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const canEdit = hasRole(me?.role, 'admin');
  const isOwner = hasRole(me?.role, 'owner');
  const workspace = useWorkspace();

  return (
    <SettingsPage
      title={t('settings.retention.title')}
      description={t('settings.retention.description')}
      readOnlyNote={canEdit ? undefined : t('settings.retention.readOnly')}
    >
      <SettingsSection title={t('settings.retention.howTitle')}>
        <List size="sm" spacing="xs" maw={760}>
          <List.Item>{t('settings.retention.howNightly')}</List.Item>
          <List.Item>{t('settings.retention.howErased')}</List.Item>
          <List.Item>{t('settings.retention.howKept')}</List.Item>
          <List.Item>{t('settings.retention.howFinal')}</List.Item>
        </List>
      </SettingsSection>
      {workspace.error && !workspace.data ? (
        <QueryError error={workspace.error} onRetry={() => void workspace.refetch()} />
      ) : !workspace.data ? (
        <Stack>
          <Skeleton h={120} />
          <Skeleton h={120} />
        </Stack>
      ) : (
        <>
          <RetentionSetting workspace={workspace.data} canEdit={canEdit} />
          {canEdit ? (
            <EraseNow
              key={workspace.data.id}
              savedMonths={workspace.data.retention_inactive_months}
              isOwner={isOwner}
            />
          ) : (
            <Text size="xs" c="dimmed">
              {t('settings.workspace.askAdmin')}
            </Text>
          )}
        </>
      )}
    </SettingsPage>
  );
}
