import { Button } from '@mantine/core';
import { useDocumentTitle } from '@mantine/hooks';
import { IconHome, IconMapPinQuestion } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'react-router';
import { EmptyState } from '../../ui/EmptyState';

export function NotFoundPage() {
  const { t } = useTranslation();
  const { pathname } = useLocation();
  useDocumentTitle(`${t('notFound.title')} · Clientela`);
  return (
    <EmptyState
      framed
      icon={IconMapPinQuestion}
      title={t('notFound.title')}
      description={t('notFound.text', { path: pathname })}
    >
      <Button component={Link} to="/" leftSection={<IconHome size={16} aria-hidden />}>
        {t('notFound.home')}
      </Button>
    </EmptyState>
  );
}
