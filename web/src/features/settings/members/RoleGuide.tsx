import { Group, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { ROLES } from '../../../api/types';
import { RoleBadge } from '../../../ui/RoleBadge';
import { SettingsSection } from '../../../ui/SettingsSection';

export function RoleGuide() {
  const { t } = useTranslation();
  return (
    <SettingsSection title={t('settings.roles.title')} description={t('settings.roles.description')}>
      <Stack gap="sm" component="dl" m={0}>
        {ROLES.map((role) => (
          <Group key={role} gap="md" wrap="nowrap" align="baseline">
            <Text component="dt" w={110} style={{ flexShrink: 0 }}>
              <RoleBadge role={role} />
            </Text>
            <Text component="dd" size="sm" m={0}>
              {t(`roleDescriptions.${role}`)}
            </Text>
          </Group>
        ))}
      </Stack>
    </SettingsSection>
  );
}
