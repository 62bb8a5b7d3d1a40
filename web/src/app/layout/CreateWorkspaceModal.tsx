import { Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useTranslation } from 'react-i18next';
import { useCreateWorkspace } from '../../api/me';
import type { WorkspaceRef } from '../../api/types';
import { useErrorMessage } from '../../ui/errors';
import { notifyError, notifySuccess } from '../../ui/notify';

interface Props {
  opened: boolean;
  onClose: () => void;
  onCreated: (workspace: WorkspaceRef) => void;
}

export function CreateWorkspaceModal({ opened, onClose, onCreated }: Props) {
  const { t } = useTranslation();
  const errorMessage = useErrorMessage();
  const create = useCreateWorkspace();
  const form = useForm({
    initialValues: { name: '' },
    validate: { name: (value) => (value.trim() ? null : t('validation.required')) },
  });

  const close = () => {
    form.reset();
    onClose();
  };

  const submit = form.onSubmit(({ name }) =>
    create.mutate(
      { name: name.trim() },
      {
        onSuccess: (workspace) => {
          notifySuccess(t('createWorkspace.created', { name: workspace.name }));
          close();
          onCreated({ id: workspace.id, name: workspace.name });
        },
        onError: (error) => notifyError(errorMessage(error)),
      },
    ),
  );

  return (
    <Modal opened={opened} onClose={close} title={t('createWorkspace.title')} centered>
      <form onSubmit={submit}>
        <Stack>
          <Text size="sm" c="dimmed">
            {t('createWorkspace.description')}
          </Text>
          <TextInput
            label={t('createWorkspace.name')}
            placeholder={t('createWorkspace.namePlaceholder')}
            data-autofocus
            required
            {...form.getInputProps('name')}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={create.isPending}>
              {t('createWorkspace.submit')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
