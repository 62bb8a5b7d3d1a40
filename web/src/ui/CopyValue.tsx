import { ActionIcon, Button, Code, CopyButton, Group, Tooltip } from '@mantine/core';
import { IconCheck, IconCopy } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';

interface CopyValueProps {
  value: string;
  /** What is being copied, for screen readers ("Copy invitation link"). */
  label: string;
  /** Multi-line block (commands) instead of a single line. */
  block?: boolean;
}

/** A value shown in monospace with a button that copies it. */
export function CopyValue({ value, label, block = false }: CopyValueProps) {
  const { t } = useTranslation();
  return (
    <Group gap="xs" wrap="nowrap" align={block ? 'flex-start' : 'center'}>
      <Code
        block={block}
        style={{ flex: 1, minWidth: 0, wordBreak: 'break-all', whiteSpace: block ? 'pre-wrap' : undefined }}
        py={block ? undefined : 6}
        px={block ? undefined : 'sm'}
      >
        {value}
      </Code>
      <CopyButton value={value} timeout={2000}>
        {({ copied, copy }) => (
          <Button
            onClick={copy}
            variant={copied ? 'filled' : 'light'}
            color={copied ? 'teal' : undefined}
            leftSection={copied ? <IconCheck size={16} aria-hidden /> : <IconCopy size={16} aria-hidden />}
            aria-label={label}
          >
            {copied ? t('common.copied') : t('common.copy')}
          </Button>
        )}
      </CopyButton>
    </Group>
  );
}

/** Icon-only copy button for table rows. */
export function CopyIconButton({ value, label }: { value: string; label: string }) {
  const { t } = useTranslation();
  return (
    <CopyButton value={value} timeout={2000}>
      {({ copied, copy }) => (
        <Tooltip label={copied ? t('common.copied') : label} withArrow>
          <ActionIcon variant="subtle" color={copied ? 'teal' : 'gray'} onClick={copy} aria-label={label}>
            {copied ? <IconCheck size={18} aria-hidden /> : <IconCopy size={18} aria-hidden />}
          </ActionIcon>
        </Tooltip>
      )}
    </CopyButton>
  );
}
