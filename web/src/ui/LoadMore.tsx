import { Button, Center, type CenterProps } from '@mantine/core';
import { useTranslation } from 'react-i18next';

/** "Load more" under a list read page by page; nothing when there is no next page. */
export function LoadMore({
  hasMore,
  loading,
  onLoadMore,
  ...center
}: { hasMore: boolean; loading: boolean; onLoadMore: () => void } & CenterProps) {
  const { t } = useTranslation();
  if (!hasMore) return null;
  return (
    <Center {...center}>
      <Button variant="default" loading={loading} onClick={onLoadMore}>
        {t('common.loadMore')}
      </Button>
    </Center>
  );
}
