import {
  ActionIcon,
  Badge,
  Button,
  Checkbox,
  Group,
  Paper,
  SegmentedControl,
  Select,
  Skeleton,
  Stack,
  Text,
  Textarea,
  Tooltip,
} from '@mantine/core';
import { type UseFormReturnType, useForm } from '@mantine/form';
import { IconClipboardText, IconPencil, IconPin, IconPinFilled, IconTrash } from '@tabler/icons-react';
import type { KeyboardEvent } from 'react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client } from '../../../api/clients';
import { useMe } from '../../../api/me';
import {
  NOTE_TYPES,
  NOTE_VISIBILITIES,
  type Note,
  type NoteType,
  type NoteVisibility,
  useCreateNote,
  useDeleteNote,
  useNotes,
  useUpdateNote,
} from '../../../api/notes';
import { hasRole } from '../../../lib/roles';
import { useConfirm } from '../../../ui/confirm';
import { EmptyState } from '../../../ui/EmptyState';
import { useErrorMessage } from '../../../ui/errors';
import { LoadMore } from '../../../ui/LoadMore';
import { notifyError, notifySuccess } from '../../../ui/notify';
import { QueryError } from '../../../ui/QueryError';
import { applyServerErrors } from '../../../ui/server-errors';
import { RelativeTime } from '../shared/RelativeTime';
import { NOTE_COLORS } from './timeline-items';

interface NoteValues {
  body: string;
  type: NoteType;
  visibility: NoteVisibility;
  pinned: boolean;
}

/** Ctrl/⌘+Enter sends a multi-line note (Enter alone makes a new line). */
function submitOnModEnter(event: KeyboardEvent<HTMLTextAreaElement>) {
  if (event.key === 'Enter' && (event.metaKey || event.ctrlKey)) {
    event.preventDefault();
    event.currentTarget.form?.requestSubmit();
  }
}

function NoteFields({ form }: { form: UseFormReturnType<NoteValues> }) {
  const { t } = useTranslation();
  return (
    <Group gap="sm" align="flex-end" wrap="wrap">
      <SegmentedControl
        size="xs"
        aria-label={t('notes.type')}
        data={NOTE_TYPES.map((type) => ({ value: type, label: t(`notes.types.${type}`) }))}
        {...form.getInputProps('type')}
      />
      <Select
        size="xs"
        w={170}
        aria-label={t('notes.visibility')}
        data={NOTE_VISIBILITIES.map((visibility) => ({
          value: visibility,
          label: t(`notes.visibilities.${visibility}`),
        }))}
        allowDeselect={false}
        {...form.getInputProps('visibility')}
      />
      <Checkbox size="xs" label={t('notes.pin')} {...form.getInputProps('pinned', { type: 'checkbox' })} />
    </Group>
  );
}

function NewNote({ clientId }: { clientId: string }) {
  const { t } = useTranslation();
  const create = useCreateNote(clientId);
  const errorMessage = useErrorMessage();
  const form = useForm<NoteValues>({
    initialValues: { body: '', type: 'info', visibility: 'internal', pinned: false },
    validate: { body: (value) => (value.trim() ? null : t('notes.bodyRequired')) },
  });
  const submit = form.onSubmit((values) =>
    create.mutate(
      { ...values, body: values.body.trim() },
      {
        onSuccess: () => {
          notifySuccess(t('notes.added'));
          form.reset();
        },
        onError: (error) => {
          if (!applyServerErrors(form, error, ['body', 'type', 'visibility']))
            notifyError(errorMessage(error));
        },
      },
    ),
  );
  return (
    <Paper withBorder radius="md" p="sm" component="form" onSubmit={submit} aria-label={t('notes.newLabel')}>
      <Stack gap="sm">
        <Textarea
          aria-label={t('notes.body')}
          placeholder={t('notes.placeholder')}
          autosize
          minRows={2}
          maxRows={10}
          maxLength={10000}
          onKeyDown={submitOnModEnter}
          {...form.getInputProps('body')}
        />
        <Group justify="space-between" gap="sm" wrap="wrap">
          <NoteFields form={form} />
          <Group gap="xs">
            <Text size="xs" c="dimmed" visibleFrom="sm">
              {t('notes.shortcut')}
            </Text>
            <Button type="submit" size="xs" loading={create.isPending}>
              {t('notes.add')}
            </Button>
          </Group>
        </Group>
      </Stack>
    </Paper>
  );
}

function EditNote({ note, onDone }: { note: Note; onDone: () => void }) {
  const { t } = useTranslation();
  const update = useUpdateNote(note.client_id);
  const errorMessage = useErrorMessage();
  const form = useForm<NoteValues>({
    initialValues: { body: note.body, type: note.type, visibility: note.visibility, pinned: note.pinned },
    validate: { body: (value) => (value.trim() ? null : t('notes.bodyRequired')) },
  });
  const submit = form.onSubmit((values) =>
    update.mutate(
      { id: note.id, patch: { ...values, body: values.body.trim() } },
      {
        onSuccess: () => {
          notifySuccess(t('notes.saved'));
          onDone();
        },
        onError: (error) => {
          if (!applyServerErrors(form, error, ['body'])) notifyError(errorMessage(error));
        },
      },
    ),
  );
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <Textarea
          aria-label={t('notes.body')}
          autosize
          minRows={2}
          maxLength={10000}
          data-autofocus
          autoFocus
          onKeyDown={(event) => {
            if (event.key === 'Escape') {
              event.stopPropagation();
              onDone();
            } else submitOnModEnter(event);
          }}
          {...form.getInputProps('body')}
        />
        <Group justify="space-between" gap="sm" wrap="wrap">
          <NoteFields form={form} />
          <Group gap="xs">
            <Button size="xs" variant="default" onClick={onDone}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" size="xs" loading={update.isPending}>
              {t('common.save')}
            </Button>
          </Group>
        </Group>
      </Stack>
    </form>
  );
}

function NoteCard({ note }: { note: Note }) {
  const { t } = useTranslation();
  const [editing, setEditing] = useState(false);
  const update = useUpdateNote(note.client_id);
  const remove = useDeleteNote(note.client_id);
  const confirm = useConfirm();
  const errorMessage = useErrorMessage();
  const edited = note.updated_at !== note.created_at;

  const togglePin = () =>
    update.mutate(
      { id: note.id, patch: { pinned: !note.pinned } },
      {
        onSuccess: () => notifySuccess(note.pinned ? t('notes.unpinned') : t('notes.pinned')),
        onError: (error) => notifyError(errorMessage(error)),
      },
    );
  const askDelete = () =>
    confirm({
      title: t('notes.deleteTitle'),
      message: t('notes.deleteText'),
      confirmLabel: t('notes.delete'),
      onConfirm: () =>
        remove.mutate(note.id, {
          onSuccess: () => notifySuccess(t('notes.deleted')),
          onError: (error) => notifyError(errorMessage(error)),
        }),
    });

  return (
    <Paper
      withBorder
      radius="md"
      p="sm"
      data-testid="note"
      style={{ borderLeft: `4px solid var(--mantine-color-${NOTE_COLORS[note.type] ?? 'blue'}-filled)` }}
    >
      {editing ? (
        <EditNote note={note} onDone={() => setEditing(false)} />
      ) : (
        <Stack gap={6}>
          <Group justify="space-between" gap="xs" wrap="nowrap" align="flex-start">
            <Group gap={6}>
              {note.pinned ? (
                <Badge
                  size="sm"
                  variant="filled"
                  color="yellow"
                  leftSection={<IconPinFilled size={11} aria-hidden />}
                >
                  {t('notes.pinnedBadge')}
                </Badge>
              ) : null}
              <Badge size="sm" variant="light" color={NOTE_COLORS[note.type]}>
                {t(`notes.types.${note.type}`)}
              </Badge>
              <Badge size="sm" variant="outline" color={note.visibility === 'shared' ? 'cyan' : 'gray'}>
                {t(`notes.visibilities.${note.visibility}`)}
              </Badge>
            </Group>
            {note.can_edit ? (
              <Group gap={2} wrap="nowrap">
                <Tooltip label={note.pinned ? t('notes.unpin') : t('notes.pin')} withArrow>
                  <ActionIcon
                    variant="subtle"
                    color="gray"
                    onClick={togglePin}
                    loading={update.isPending}
                    aria-label={note.pinned ? t('notes.unpin') : t('notes.pin')}
                  >
                    {note.pinned ? (
                      <IconPinFilled size={16} aria-hidden />
                    ) : (
                      <IconPin size={16} aria-hidden />
                    )}
                  </ActionIcon>
                </Tooltip>
                <Tooltip label={t('notes.edit')} withArrow>
                  <ActionIcon
                    variant="subtle"
                    color="gray"
                    onClick={() => setEditing(true)}
                    aria-label={t('notes.edit')}
                  >
                    <IconPencil size={16} aria-hidden />
                  </ActionIcon>
                </Tooltip>
                <Tooltip label={t('notes.delete')} withArrow>
                  <ActionIcon
                    variant="subtle"
                    color="red"
                    onClick={askDelete}
                    loading={remove.isPending}
                    aria-label={t('notes.delete')}
                  >
                    <IconTrash size={16} aria-hidden />
                  </ActionIcon>
                </Tooltip>
              </Group>
            ) : null}
          </Group>
          <Text size="sm" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
            {note.body}
          </Text>
          <Group gap={6}>
            <Text size="xs" c="dimmed">
              {note.author.label}
            </Text>
            <Text size="xs" c="dimmed">
              ·
            </Text>
            <RelativeTime value={note.created_at} />
            {edited ? (
              <Text size="xs" c="dimmed">
                · {t('notes.edited')}
              </Text>
            ) : null}
          </Group>
        </Stack>
      )}
    </Paper>
  );
}

/** The team's notes on the client: pinned first; authors (and admins) edit, pin and delete theirs. */
export function NotesTab({ client }: { client: Client }) {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const notes = useNotes(client.id);
  const canWrite = hasRole(me?.role, 'agent');

  return (
    <Stack gap="md">
      {canWrite ? <NewNote clientId={client.id} /> : null}
      {notes.error && !notes.data ? (
        <QueryError error={notes.error} onRetry={() => void notes.refetch()} />
      ) : !notes.data ? (
        <Stack gap="sm" aria-busy="true">
          <Skeleton h={72} />
          <Skeleton h={72} />
        </Stack>
      ) : notes.data.length === 0 ? (
        <EmptyState
          icon={IconClipboardText}
          title={t('notes.emptyTitle')}
          description={canWrite ? t('notes.emptyText') : t('notes.emptyTextReadOnly')}
        />
      ) : (
        <Stack gap="sm">
          {notes.data.map((note) => (
            <NoteCard key={note.id} note={note} />
          ))}
          <LoadMore
            hasMore={notes.hasNextPage}
            loading={notes.isFetchingNextPage}
            onLoadMore={() => void notes.fetchNextPage()}
          />
        </Stack>
      )}
    </Stack>
  );
}
