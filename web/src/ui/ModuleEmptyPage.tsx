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

/** The empty state of a module: what the page will hold, what the user will do here, the docs if relevant. */
export function ModuleEmptyState({ module, icon, withDocs = false }: ModuleEmptyPageProps) {
  const { t } = useTranslation();
  return (
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
  );
}

/** A screen whose module has nothing to show yet. */
export function ModuleEmptyPage(props: ModuleEmptyPageProps) {
  const { t } = useTranslation();
  return (
    <>
      <PageHeader
        title={t(`modules.${props.module}.title`)}
        description={t(`modules.${props.module}.description`)}
      />
      <ModuleEmptyState {...props} />
    </>
  );
}
