import { Button, Group, Paper, Progress, Stack, Text } from '@mantine/core';
import { IconFileUpload } from '@tabler/icons-react';
import { type DragEvent, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';

const ACCEPT = '.csv,.tsv,.txt,.xlsx,.json,.ndjson,.jsonl';

/**
 * A drop zone that is also a button: drag a file onto it, or press Enter/Space (or click) to pick
 * one. Shows the upload's progress while it runs.
 */
export function FileDrop(props: { onFile: (file: File) => void; uploading: boolean; progress: number }) {
  const { t } = useTranslation();
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const drop = (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    const file = event.dataTransfer.files[0];
    if (file && !props.uploading) props.onFile(file);
  };
  return (
    <Paper
      withBorder
      radius="md"
      p="xl"
      data-testid="import-dropzone"
      onDragOver={(event) => {
        event.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={drop}
      style={{
        borderStyle: 'dashed',
        borderWidth: 2,
        borderColor: over ? 'var(--mantine-color-blue-5)' : undefined,
        background: over ? 'var(--mantine-color-blue-light)' : undefined,
      }}
    >
      <Stack align="center" gap="sm">
        <IconFileUpload size={40} stroke={1.4} aria-hidden />
        <Text fw={600}>{t('imports.upload.drop')}</Text>
        <Text c="dimmed" size="sm" ta="center" maw={520}>
          {t('imports.upload.formats')}
        </Text>
        <Group>
          <Button onClick={() => input.current?.click()} loading={props.uploading}>
            {t('imports.upload.choose')}
          </Button>
        </Group>
        <input
          ref={input}
          type="file"
          accept={ACCEPT}
          hidden
          data-testid="import-file-input"
          onChange={(event) => {
            const file = event.currentTarget.files?.[0];
            if (file) props.onFile(file);
            event.currentTarget.value = '';
          }}
        />
        {props.uploading ? (
          <Stack gap={4} w="100%" maw={420}>
            <Progress value={props.progress * 100} animated aria-label={t('imports.upload.uploading')} />
            <Text size="xs" c="dimmed" ta="center">
              {t('imports.upload.uploading')} {Math.round(props.progress * 100)}%
            </Text>
          </Stack>
        ) : null}
      </Stack>
    </Paper>
  );
}
