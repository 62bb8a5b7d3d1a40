import { Stack } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useMe } from '../../../api/me';
import { hasRole } from '../../../lib/roles';
import { PageHeader } from '../../../ui/PageHeader';
import { InvitationsSection } from './InvitationsSection';
import { MembersSection } from './MembersSection';
import { RoleGuide } from './RoleGuide';

export function MembersPage() {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const isAdmin = hasRole(me?.role, 'admin');
  return (
    <>
      <PageHeader title={t('settings.members.title')} description={t('settings.members.description')} />
      <Stack gap="xl">
        <MembersSection />
        {isAdmin ? <InvitationsSection /> : null}
        <RoleGuide />
      </Stack>
    </>
  );
}
