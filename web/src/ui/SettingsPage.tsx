import { Alert, Stack } from '@mantine/core';
import { IconInfoCircle } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { PageHeader } from './PageHeader';

interface SettingsPageProps {
  title: string;
  description: ReactNode;
  /** Header buttons, such as "Add tag". */
  actions?: ReactNode;
  /** For roles that may only look: says why there are no buttons and who can change things. */
  readOnlyNote?: ReactNode;
  children: ReactNode;
}

/** The frame of a settings page: heading, the read-only note when it applies, then its sections. */
export function SettingsPage({ title, description, actions, readOnlyNote, children }: SettingsPageProps) {
  return (
    <>
      <PageHeader title={title} description={description} actions={actions} />
      <Stack gap="lg">
        {readOnlyNote ? (
          <Alert variant="light" color="blue" icon={<IconInfoCircle size={20} aria-hidden />}>
            {readOnlyNote}
          </Alert>
        ) : null}
        {children}
      </Stack>
    </>
  );
}
