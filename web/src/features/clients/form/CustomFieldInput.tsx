import { Checkbox, MultiSelect, NumberInput, Select, TextInput } from '@mantine/core';
import { DatePickerInput } from '@mantine/dates';
import type { UseFormReturnType } from '@mantine/form';
import { IconCalendar } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { CustomField } from '../../../api/custom-fields';
import type { ClientFormValues } from './values';

interface Props {
  field: CustomField;
  /** From form.getInputProps(`custom.${key}`) (checkbox type for booleans). */
  inputProps: ReturnType<UseFormReturnType<ClientFormValues>['getInputProps']>;
  readOnly?: boolean;
}

/** The right input for a custom field's type, with its label, help text and required mark. */
export function CustomFieldInput({ field, inputProps, readOnly = false }: Props) {
  const { t } = useTranslation();
  const common = {
    label: field.label,
    description: field.help_text ?? undefined,
    required: field.required && !readOnly,
    readOnly,
    variant: readOnly ? 'filled' : 'default',
  } as const;
  const clear = readOnly ? {} : { clearable: true, clearButtonProps: { 'aria-label': t('common.clear') } };

  switch (field.type) {
    case 'number':
      return <NumberInput {...common} {...inputProps} hideControls={readOnly} />;
    case 'boolean':
      return (
        <Checkbox
          label={field.label}
          description={field.help_text ?? undefined}
          disabled={readOnly}
          mt="lg"
          {...inputProps}
        />
      );
    case 'date':
      return (
        <DatePickerInput
          {...common}
          {...clear}
          {...inputProps}
          valueFormat="ll"
          leftSection={<IconCalendar size={16} aria-hidden />}
        />
      );
    case 'select':
      return (
        <Select
          {...common}
          {...clear}
          {...inputProps}
          data={field.options}
          searchable={field.options.length > 8}
          nothingFoundMessage={t('common.nothingFound')}
        />
      );
    case 'multi_select':
      return (
        <MultiSelect
          {...common}
          {...clear}
          {...inputProps}
          data={field.options}
          searchable={field.options.length > 8}
          nothingFoundMessage={t('common.nothingFound')}
        />
      );
    case 'url':
      return <TextInput {...common} {...inputProps} type="url" placeholder="https://" />;
    case 'email':
      return <TextInput {...common} {...inputProps} type="email" />;
    case 'phone':
      return <TextInput {...common} {...inputProps} type="tel" />;
    default:
      return <TextInput {...common} {...inputProps} />;
  }
}
