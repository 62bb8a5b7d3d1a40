import { Button, Group, Modal, Stack, Textarea, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { applyServerErrors } from '../../../ui/server-errors';

export interface SegmentDetails {
  name: string;
  description: string;
}

interface Props {
  opened: boolean;
  onClose: () => void;
  title: string;
  submitLabel: string;
  initial: SegmentDetails;
  /** Offered as the description ("Use the sentence"). */
  sentence?: string;
  loading: boolean;
  /** Resolves when saved; rejects with the server's error (messages land under the fields). */
  onSubmit: (details: SegmentDetails) => Promise<unknown>;
}

/** Name and description of a segment: asked when saving a new one, editable later. */
export function DetailsModal({
  opened,
  onClose,
  title,
  submitLabel,
  initial,
  sentence,
  loading,
  onSubmit,
}: Props) {
  const { t } = useTranslation();
  const form = useForm<SegmentDetails>({
    initialValues: initial,
    validate: {
      name: (value) => (value.trim() ? null : t('segments.details.nameRequired')),
    },
  });

  // biome-ignore lint/correctness/useExhaustiveDependencies: refill each time the dialog opens
  useEffect(() => {
    if (opened) form.setValues(initial);
  }, [opened]);

  const submit = form.onSubmit(async (values) => {
    try {
      await onSubmit({ name: values.name.trim(), description: values.description.trim() });
    } catch (error) {
      applyServerErrors(form, error, ['name', 'description']);
    }
  });

  return (
    <Modal opened={opened} onClose={onClose} title={title} size="lg">
      <form onSubmit={submit} noValidate>
        <Stack gap="md">
          <TextInput
            label={t('segments.details.name')}
            placeholder={t('segments.details.namePlaceholder')}
            required
            data-autofocus
            maxLength={200}
            {...form.getInputProps('name')}
          />
          <Textarea
            label={t('segments.details.description')}
            description={t('segments.details.descriptionHint')}
            autosize
            minRows={2}
            maxRows={6}
            maxLength={2000}
            {...form.getInputProps('description')}
          />
          {sentence && form.values.description.trim() !== sentence ? (
            <Group>
              <Button
                variant="subtle"
                size="compact-sm"
                onClick={() => form.setFieldValue('description', sentence)}
              >
                {t('segments.details.useSentence')}
              </Button>
            </Group>
          ) : null}
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={loading}>
              {submitLabel}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
