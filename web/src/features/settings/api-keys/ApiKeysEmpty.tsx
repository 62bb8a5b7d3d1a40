import { Box, Stack, Text } from '@mantine/core';
import { IconKey } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { CopyValue } from '../../../ui/CopyValue';
import { EmptyState } from '../../../ui/EmptyState';
import { curlExample } from './curl';

export function ApiKeysEmpty({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  return (
    <Stack gap={0} pb="lg">
      <EmptyState
        icon={IconKey}
        title={t('settings.apiKeys.emptyTitle')}
        description={t('settings.apiKeys.emptyText')}
      >
        {children}
      </EmptyState>
      <Box px="lg" maw={720} mx="auto" w="100%">
        <Text size="sm" fw={600} mb={6}>
          {t('settings.apiKeys.tryIt')}
        </Text>
        <CopyValue
          block
          value={curlExample(t('settings.apiKeys.keyPlaceholder'))}
          label={t('settings.apiKeys.copyCurl')}
        />
      </Box>
    </Stack>
  );
}
