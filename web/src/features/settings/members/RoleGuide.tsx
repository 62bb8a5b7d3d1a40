import { Box, Text } from '@mantine/core';
import { Fragment } from 'react';
import { useTranslation } from 'react-i18next';
import { ROLES } from '../../../api/types';
import { RoleBadge } from '../../../ui/RoleBadge';
import { SettingsSection } from '../../../ui/SettingsSection';

export function RoleGuide() {
  const { t } = useTranslation();
  return (
    <SettingsSection title={t('settings.roles.title')} description={t('settings.roles.description')}>
      <Box component="dl" className="role-guide">
        {ROLES.map((role) => (
          <Fragment key={role}>
            <dt>
              <RoleBadge role={role} />
            </dt>
            <Text component="dd" size="sm">
              {t(`roleDescriptions.${role}`)}
            </Text>
          </Fragment>
        ))}
      </Box>
    </SettingsSection>
  );
}
