import { Alert, Badge, Box, Group, Loader, Paper, Text } from '@mantine/core';
import { IconUserSearch } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { TemplateChannel, TemplatePreview } from '../../api/templates';

interface Props {
  channel: TemplateChannel;
  preview: TemplatePreview | null;
  loading: boolean;
  hasClient: boolean;
  failed: string | null;
}

/** The message as its recipient will see it: the email in a frame, a WhatsApp bubble, an SMS with its parts. */
export function MessagePreview({ channel, preview, loading, hasClient, failed }: Props) {
  const { t } = useTranslation();
  if (!hasClient)
    return (
      <Alert variant="light" icon={<IconUserSearch size={18} />}>
        {t('templates.previewHint')}
      </Alert>
    );
  if (failed) return <Alert color="red">{failed}</Alert>;
  if (!preview || preview.channel !== channel)
    return loading ? <Loader size="sm" aria-label={t('templates.rendering')} /> : null;
  if (preview.channel === 'email')
    return (
      <Box>
        <Text size="sm" c="dimmed">
          {t('templates.subject')}
        </Text>
        <Text fw={600} mb="xs" data-testid="preview-subject">
          {preview.subject}
        </Text>
        <iframe
          title={t('templates.emailPreview')}
          srcDoc={preview.html ?? ''}
          sandbox=""
          style={{
            width: '100%',
            height: 460,
            border: '1px solid var(--mantine-color-default-border)',
            borderRadius: 8,
            background: '#fff',
          }}
        />
      </Box>
    );
  if (preview.channel === 'whatsapp')
    return (
      <Box p="md" style={{ background: '#e5ddd5', borderRadius: 8 }}>
        <Paper
          p="sm"
          radius="md"
          shadow="xs"
          maw="85%"
          ml="auto"
          style={{ background: '#dcf8c6', color: '#111', whiteSpace: 'pre-wrap' }}
          data-testid="preview-whatsapp"
        >
          {preview.text}
        </Paper>
      </Box>
    );
  const sms = preview.sms;
  return (
    <Box>
      <Box p="md" style={{ background: 'var(--mantine-color-gray-1)', borderRadius: 8 }}>
        <Paper
          p="sm"
          radius="lg"
          maw="85%"
          style={{ background: '#e9e9eb', color: '#111', whiteSpace: 'pre-wrap' }}
          data-testid="preview-sms"
        >
          {preview.text}
        </Paper>
      </Box>
      {sms ? (
        <Group gap="xs" mt="xs">
          <Badge variant="light" color={sms.segments > 1 ? 'orange' : 'teal'}>
            {t('templates.segments', { count: sms.segments })}
          </Badge>
          <Badge variant="outline" color="gray">
            {sms.encoding}
          </Badge>
          <Text size="xs" c="dimmed">
            {t('templates.smsUnits', { units: sms.units, remaining: sms.remaining })}
          </Text>
        </Group>
      ) : null}
    </Box>
  );
}
