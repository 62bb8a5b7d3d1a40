import { Button, Group, type MantineSize, Modal } from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useErrorMessage } from './errors';
import { notifyError, notifySuccess } from './notify';
import { applyServerErrors } from './server-errors';

export interface CrudModalState<T> {
  opened: boolean;
  /** The item being edited; null while adding a new one. */
  item: T | null;
  openNew: () => void;
  openEdit: (item: T) => void;
  close: () => void;
}

/** Which item the create/edit dialog of a settings list shows, if any. */
export function useCrudModal<T>(): CrudModalState<T> {
  const [editing, setEditing] = useState<{ item: T | null } | null>(null);
  return {
    opened: editing !== null,
    item: editing?.item ?? null,
    openNew: () => setEditing({ item: null }),
    openEdit: (item) => setEditing({ item }),
    close: () => setEditing(null),
  };
}

/** The create/edit dialog of a settings list; `children` renders the form for the item (null: a new one). */
export function CrudModal<T>({
  modal,
  addTitle,
  editTitle,
  size,
  children,
}: {
  modal: CrudModalState<T>;
  addTitle: string;
  editTitle: string;
  size?: MantineSize;
  children: (item: T | null) => ReactNode;
}) {
  return (
    <Modal
      opened={modal.opened}
      onClose={modal.close}
      title={modal.item ? editTitle : addTitle}
      size={size}
      centered
    >
      {/* Mounted only while open, so each opening starts from the item's current values. */}
      {modal.opened ? children(modal.item) : null}
    </Modal>
  );
}

/** The "Add …" button of a settings list, in the page header and in its empty state. */
export function AddButton({ onClick, children }: { onClick: () => void; children: ReactNode }) {
  return (
    <Button leftSection={<IconPlus size={18} aria-hidden />} onClick={onClick}>
      {children}
    </Button>
  );
}

/** Cancel and submit at the foot of a create/edit form. */
export function CrudFormButtons({
  editing,
  createLabel,
  loading,
  onCancel,
}: {
  /** Editing an existing item: the submit button says "Save changes" instead of `createLabel`. */
  editing: boolean;
  createLabel: string;
  loading: boolean;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  return (
    <Group justify="flex-end">
      <Button variant="default" onClick={onCancel}>
        {t('common.cancel')}
      </Button>
      <Button type="submit" loading={loading}>
        {editing ? t('common.saveChanges') : createLabel}
      </Button>
    </Group>
  );
}

/**
 * Mutation callbacks of a create/edit form: on success, say so and close; on failure, put the
 * server's per-field messages under the inputs, or show its message when none is about a field.
 */
export function useSaveHandlers<Saved>({
  form,
  fields,
  savedMessage,
  onClose,
}: {
  form: Parameters<typeof applyServerErrors>[0];
  fields: readonly string[];
  savedMessage: (saved: Saved) => string;
  onClose: () => void;
}) {
  const errorMessage = useErrorMessage();
  return {
    onSuccess: (saved: Saved) => {
      notifySuccess(savedMessage(saved));
      onClose();
    },
    onError: (error: unknown) => {
      if (!applyServerErrors(form, error, fields)) notifyError(errorMessage(error));
    },
  };
}
