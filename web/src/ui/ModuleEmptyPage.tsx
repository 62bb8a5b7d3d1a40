import { Button } from '@mantine/core';
import { type Icon, IconExternalLink } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { EmptyState } from './EmptyState';
import { PageHeader } from './PageHeader';

export type ModuleKey =
  | 'clients'
  | 'segments'
  | 'campaigns'
  | 'templates'
  | 'coupons'
  | 'imports'
  | 'outbox'
  | 'channels';

interface ModuleEmptyPageProps {
  module: ModuleKey;
  icon: Icon;
  /** Offer the API docs link: the page's data can already be handled through the API. */
  withDocs?: boolean;
}

/** A screen whose module has nothing to show yet: says what it will hold and what the user does here. */
export function ModuleEmptyPage({ module, icon, withDocs = false }: ModuleEmptyPageProps) {
  const { t } = useTranslation();
  return (
    <>
      <PageHeader title={t(`modules.${module}.title`)} description={t(`modules.${module}.description`)} />
      <EmptyState
        framed
        icon={icon}
        title={t(`modules.${module}.emptyTitle`)}
        description={t(`modules.${module}.emptyText`)}
      >
        {withDocs ? (
          <Button
            component="a"
            href="/docs"
            target="_blank"
            rel="noopener"
            variant="light"
            rightSection={<IconExternalLink size={16} aria-hidden />}
          >
            {t('common.apiDocs')}
          </Button>
        ) : null}
      </EmptyState>
    </>
  );
}
