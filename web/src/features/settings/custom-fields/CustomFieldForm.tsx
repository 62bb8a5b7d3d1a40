import {
  Autocomplete,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  TagsInput,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useTranslation } from 'react-i18next';
import {
  CUSTOM_FIELD_TYPES,
  type CustomField,
  type CustomFieldInput,
  type CustomFieldType,
  useCreateCustomField,
  useUpdateCustomField,
} from '../../../api/custom-fields';
import { ROLES, type Role } from '../../../api/types';
import { keyFromName } from '../../../lib/keys';
import { CrudFormButtons, useSaveHandlers } from '../../../ui/CrudModal';

interface Values {
  label: string;
  key: string;
  keyTouched: boolean;
  type: CustomFieldType;
  options: string[];
  required: boolean;
  section: string;
  help_text: string;
  visible_min_role: Role;
  editable_min_role: Role;
}

const FIELDS = [
  'label',
  'key',
  'type',
  'options',
  'section',
  'help_text',
  'visible_min_role',
  'editable_min_role',
];

/** The server's pattern for field keys: ^[a-z][a-z0-9_]{0,62}$. */
const KEY_RULES = { prefix: 'f_', maxLength: 63 };

interface Props {
  /** null = a new field. */
  field: CustomField | null;
  onClose: () => void;
  sections: string[];
  nextPosition: (section: string | null) => number;
}

/** Adds or edits a custom field: its key and type are fixed once created, the rest can change. */
export function CustomFieldForm({ field, onClose, sections, nextPosition }: Props) {
  const { t } = useTranslation();
  const create = useCreateCustomField();
  const update = useUpdateCustomField();
  const form = useForm<Values>({
    initialValues: {
      label: field?.label ?? '',
      key: field?.key ?? '',
      keyTouched: Boolean(field),
      type: field?.type ?? 'text',
      options: field?.options ?? [],
      required: field?.required ?? false,
      section: field?.section ?? '',
      help_text: field?.help_text ?? '',
      visible_min_role: field?.visible_min_role ?? 'viewer',
      editable_min_role: field?.editable_min_role ?? 'agent',
    },
    validate: {
      label: (value) => (value.trim() ? null : t('validation.required')),
      key: (value) =>
        field || /^[a-z][a-z0-9_]{0,62}$/.test(value) ? null : t('settings.customFields.keyInvalid'),
      options: (value, values) =>
        (values.type === 'select' || values.type === 'multi_select') && value.length === 0
          ? t('settings.customFields.optionsRequired')
          : null,
    },
  });
  const withOptions = form.values.type === 'select' || form.values.type === 'multi_select';
  const roles = ROLES.map((role) => ({ value: role, label: t(`roles.${role}`) }));

  const handlers = useSaveHandlers<CustomField>({
    form,
    fields: FIELDS,
    savedMessage: (saved) =>
      field
        ? t('settings.customFields.saved', { label: saved.label })
        : t('settings.customFields.created', { label: saved.label }),
    onClose,
  });

  const submit = form.onSubmit((values) => {
    const section = values.section.trim() || null;
    const body: CustomFieldInput = {
      label: values.label.trim(),
      options: withOptions ? values.options : [],
      required: values.required,
      section,
      help_text: values.help_text.trim() || null,
      visible_min_role: values.visible_min_role,
      editable_min_role: values.editable_min_role,
    };
    if (field) {
      if (section !== (field.section ?? null)) body.position = nextPosition(section);
      update.mutate({ id: field.id, patch: body }, handlers);
    } else {
      create.mutate(
        { ...body, key: values.key, type: values.type, position: nextPosition(section) },
        handlers,
      );
    }
  });

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <TextInput
          label={t('settings.customFields.label')}
          placeholder={t('settings.customFields.labelPlaceholder')}
          required
          data-autofocus
          {...form.getInputProps('label')}
          onChange={(event) => {
            const label = event.currentTarget.value;
            form.setFieldValue('label', label);
            if (!field && !form.values.keyTouched) form.setFieldValue('key', keyFromName(label, KEY_RULES));
          }}
        />
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput
            label={t('settings.customFields.key')}
            description={field ? t('settings.customFields.keyFixed') : t('settings.customFields.keyHelp')}
            required={!field}
            readOnly={Boolean(field)}
            variant={field ? 'filled' : 'default'}
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
            {...form.getInputProps('key')}
            onChange={(event) => {
              form.setFieldValue('key', event.currentTarget.value);
              form.setFieldValue('keyTouched', true);
            }}
          />
          <Select
            label={t('settings.customFields.type')}
            description={field ? t('settings.customFields.typeFixed') : undefined}
            data={CUSTOM_FIELD_TYPES.map((type) => ({
              value: type,
              label: t(`settings.customFields.types.${type}`),
            }))}
            allowDeselect={false}
            readOnly={Boolean(field)}
            variant={field ? 'filled' : 'default'}
            {...form.getInputProps('type')}
          />
        </SimpleGrid>
        {withOptions ? (
          <TagsInput
            label={t('settings.customFields.options')}
            description={t('settings.customFields.optionsHelp')}
            required
            splitChars={[',']}
            {...form.getInputProps('options')}
          />
        ) : null}
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <Autocomplete
            label={t('settings.customFields.section')}
            description={t('settings.customFields.sectionHelp')}
            data={sections}
            {...form.getInputProps('section')}
          />
          <Switch
            mt={{ base: 0, sm: 'xl' }}
            label={t('settings.customFields.requiredLabel')}
            description={t('settings.customFields.requiredHelp')}
            {...form.getInputProps('required', { type: 'checkbox' })}
          />
        </SimpleGrid>
        <Textarea
          label={t('settings.customFields.helpText')}
          description={t('settings.customFields.helpTextHelp')}
          autosize
          minRows={1}
          maxLength={1000}
          {...form.getInputProps('help_text')}
        />
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <Select
            label={t('settings.customFields.visibleRole')}
            description={t('settings.customFields.visibleRoleHelp')}
            data={roles}
            allowDeselect={false}
            {...form.getInputProps('visible_min_role')}
          />
          <Select
            label={t('settings.customFields.editableRole')}
            description={t('settings.customFields.editableRoleHelp')}
            data={roles}
            allowDeselect={false}
            {...form.getInputProps('editable_min_role')}
          />
        </SimpleGrid>
        <Text size="xs" c="dimmed">
          {t('settings.customFields.usage')}
        </Text>
        <CrudFormButtons
          editing={Boolean(field)}
          createLabel={t('settings.customFields.createSubmit')}
          loading={create.isPending || update.isPending}
          onCancel={onClose}
        />
      </Stack>
    </form>
  );
}
