import {
  Alert,
  Button,
  FileButton,
  Group,
  List,
  Modal,
  Stack,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { IconUpload } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { request } from '../../api/client';
import type { Segment } from '../../api/segments';
import { useErrorMessage } from '../../ui/errors';

interface Resolved {
  client_ids: string[];
  matched: number;
  unmatched: Array<{ index: number; value: string }>;
}

/** The first cell of each line of a pasted text or a CSV/TXT file; a header line of words is dropped. */
export function listValues(text: string): string[] {
  const lines = text
    .split(/\r?\n/)
    .map((line) => (line.split(/[,;\t]/)[0] ?? '').replace(/^"|"$/g, '').trim())
    .filter(Boolean);
  const header = lines[0] && !/[@\d]/.test(lines[0]) ? 1 : 0;
  return lines.slice(header);
}

/** "New segment from a list": paste or upload emails, phones or ids, see what matched, save it as a static segment. */
export function StaticFromListModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const errorMessage = useErrorMessage();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [text, setText] = useState('');
  const [resolved, setResolved] = useState<Resolved | null>(null);

  const check = useMutation({
    mutationFn: (values: string[]) =>
      request<Resolved>('/api/v1/segments/resolve-list', { method: 'POST', body: { values } }),
    onSuccess: setResolved,
  });
  const create = useMutation({
    mutationFn: (input: { name: string; client_ids: string[] }) =>
      request<Segment>('/api/v1/segments', { method: 'POST', body: { ...input, kind: 'static' } }),
    onSuccess: async (segment) => {
      await queryClient.invalidateQueries({ queryKey: ['segments'] });
      onClose();
      navigate(`/segments/${segment.id}`);
    },
  });

  const values = listValues(text);
  const close = () => {
    setResolved(null);
    onClose();
  };

  return (
    <Modal opened={opened} onClose={close} title={t('segments.fromList.title')} size="lg">
      <Stack gap="sm">
        <Text size="sm" c="dimmed">
          {t('segments.fromList.help')}
        </Text>
        <TextInput
          label={t('segments.fromList.name')}
          value={name}
          onChange={(event) => setName(event.currentTarget.value)}
          required
          data-autofocus
        />
        <Textarea
          label={t('segments.fromList.values')}
          value={text}
          onChange={(event) => {
            setText(event.currentTarget.value);
            setResolved(null);
          }}
          autosize
          minRows={5}
          maxRows={12}
          placeholder={'ana@example.com\n+34 612 345 678\nBK-1001'}
        />
        <Group justify="space-between">
          <FileButton
            accept=".csv,.txt,text/csv,text/plain"
            onChange={async (file) => {
              if (!file) return;
              setText(await file.text());
              setResolved(null);
            }}
          >
            {(props) => (
              <Button variant="default" leftSection={<IconUpload size={16} aria-hidden />} {...props}>
                {t('segments.fromList.upload')}
              </Button>
            )}
          </FileButton>
          <Text size="sm" c="dimmed">
            {t('segments.fromList.lines', { count: values.length })}
          </Text>
        </Group>
        {check.error ? <Alert color="red">{errorMessage(check.error)}</Alert> : null}
        {create.error ? <Alert color="red">{errorMessage(create.error)}</Alert> : null}
        {resolved ? (
          <Alert color={resolved.unmatched.length ? 'yellow' : 'teal'} data-testid="list-result">
            <Text size="sm" fw={600}>
              {t('segments.fromList.matched', { count: resolved.matched })}
            </Text>
            {resolved.unmatched.length ? (
              <>
                <Text size="sm">
                  {t('segments.fromList.unmatched', { count: resolved.unmatched.length })}
                </Text>
                <List size="sm">
                  {resolved.unmatched.slice(0, 10).map((u) => (
                    <List.Item key={u.index}>{u.value}</List.Item>
                  ))}
                </List>
              </>
            ) : null}
          </Alert>
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={close}>
            {t('common.cancel')}
          </Button>
          {resolved ? (
            <Button
              disabled={!name.trim() || !resolved.matched}
              loading={create.isPending}
              onClick={() => create.mutate({ name: name.trim(), client_ids: resolved.client_ids })}
            >
              {t('segments.fromList.create', { count: resolved.matched })}
            </Button>
          ) : (
            <Button disabled={!values.length} loading={check.isPending} onClick={() => check.mutate(values)}>
              {t('segments.fromList.check')}
            </Button>
          )}
        </Group>
      </Stack>
    </Modal>
  );
}
