import {
  Checkbox,
  Fieldset,
  Group,
  Select,
  SimpleGrid,
  Stack,
  TagsInput,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { DatePickerInput } from '@mantine/dates';
import type { UseFormReturnType } from '@mantine/form';
import { IconCalendar } from '@tabler/icons-react';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { CHANNELS, CONTACT_METHODS } from '../../../api/clients';
import type { CustomField } from '../../../api/custom-fields';
import { useLabels } from '../../../api/labels';
import { useLocations } from '../../../api/locations';
import { useMembers } from '../../../api/members';
import { useTags } from '../../../api/tags';
import type { Role } from '../../../api/types';
import { countryOptions } from '../../../lib/countries';
import { hasRole } from '../../../lib/roles';
import { timeZoneOptions } from '../../../lib/timezones';
import { CHANNEL_ICONS } from '../shared/ConsentIcons';
import { CustomFieldInput } from './CustomFieldInput';
import { bySection, type ClientFormValues } from './values';

/** Languages a client may prefer for messages (any BCP 47 tag is accepted by the API; these are common). */
const CLIENT_LOCALES = ['es', 'en', 'fr', 'ca', 'eu', 'gl', 'pt', 'it', 'de', 'nl', 'ar', 'ro', 'zh', 'ru'];

function localeOptions(language: string, current: string | null) {
  const names =
    typeof Intl.DisplayNames === 'function' ? new Intl.DisplayNames([language], { type: 'language' }) : null;
  const codes = current && !CLIENT_LOCALES.includes(current) ? [current, ...CLIENT_LOCALES] : CLIENT_LOCALES;
  return codes.map((code) => {
    let name = code;
    try {
      name = names?.of(code) ?? code;
    } catch {
      // unknown tag: show it as is
    }
    return { value: code, label: `${name.charAt(0).toLocaleUpperCase(language)}${name.slice(1)}` };
  });
}

interface Props {
  form: UseFormReturnType<ClientFormValues>;
  /** Custom fields this role may see, in order. */
  fields: CustomField[];
  role: Role | undefined;
  /** The whole form is read-only (viewers). */
  readOnly?: boolean;
  /** The create form also takes tags and consent; the drawer handles those elsewhere. */
  withTagsAndConsent?: boolean;
}

/** Every client field in sections, custom fields by their own sections; shared by "Add client" and Details. */
export function ClientFields({ form, fields, role, readOnly = false, withTagsAndConsent = false }: Props) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'en';
  const labels = useLabels();
  const locations = useLocations();
  const members = useMembers();
  const tags = useTags();
  const countries = useMemo(() => countryOptions(language), [language]);
  const zones = useMemo(() => timeZoneOptions(form.values.timezone), [form.values.timezone]);
  const locales = useMemo(() => localeOptions(language, form.values.locale), [language, form.values.locale]);
  const mode = { readOnly, variant: readOnly ? 'filled' : 'default' } as const;
  const clear = readOnly ? {} : { clearable: true, clearButtonProps: { 'aria-label': t('common.clear') } };
  const grid = { cols: { base: 1, sm: 2 }, spacing: 'md', verticalSpacing: 'sm' } as const;
  const legend = (text: string) => (
    <Text fw={650} size="sm">
      {text}
    </Text>
  );

  return (
    <Stack gap="lg">
      <Fieldset legend={legend(t('clients.form.sections.contact'))} variant="unstyled">
        <SimpleGrid {...grid}>
          <TextInput
            label={t('clients.fields.first_name')}
            autoComplete="off"
            data-autofocus
            {...mode}
            {...form.getInputProps('first_name')}
          />
          <TextInput
            label={t('clients.fields.last_name')}
            autoComplete="off"
            {...mode}
            {...form.getInputProps('last_name')}
          />
          <TextInput
            label={t('clients.fields.email')}
            type="text"
            inputMode="email"
            autoComplete="off"
            {...mode}
            {...form.getInputProps('email')}
          />
          <TextInput
            label={t('clients.fields.phone')}
            description={readOnly ? undefined : t('clients.form.phoneHelp')}
            type="tel"
            autoComplete="off"
            {...mode}
            {...form.getInputProps('phone')}
          />
          <Select
            label={t('clients.fields.preferred_contact_method')}
            data={CONTACT_METHODS.map((method) => ({
              value: method,
              label: t(`clients.contactMethods.${method}`),
            }))}
            placeholder={readOnly ? undefined : t('clients.form.noPreference')}
            {...clear}
            {...mode}
            {...form.getInputProps('preferred_contact_method')}
          />
          <DatePickerInput
            label={t('clients.fields.birthday')}
            valueFormat="ll"
            maxDate={new Date()}
            defaultLevel={form.values.birthday ? 'month' : 'decade'}
            leftSection={<IconCalendar size={16} aria-hidden />}
            {...clear}
            {...mode}
            {...form.getInputProps('birthday')}
          />
        </SimpleGrid>
      </Fieldset>

      <Fieldset legend={legend(t('clients.form.sections.place'))} variant="unstyled">
        <SimpleGrid {...grid}>
          <TextInput label={t('clients.fields.city')} {...mode} {...form.getInputProps('city')} />
          <Select
            label={t('clients.fields.country')}
            data={countries}
            searchable
            nothingFoundMessage={t('common.nothingFound')}
            {...clear}
            {...mode}
            {...form.getInputProps('country')}
          />
          <Select
            label={t('clients.fields.timezone')}
            description={readOnly ? undefined : t('clients.form.timezoneHelp')}
            data={zones}
            searchable
            limit={100}
            nothingFoundMessage={t('common.nothingFound')}
            {...clear}
            {...mode}
            {...form.getInputProps('timezone')}
          />
          <Select
            label={t('clients.fields.locale')}
            description={readOnly ? undefined : t('clients.form.localeHelp')}
            data={locales}
            searchable
            nothingFoundMessage={t('common.nothingFound')}
            {...clear}
            {...mode}
            {...form.getInputProps('locale')}
          />
        </SimpleGrid>
      </Fieldset>

      <Fieldset legend={legend(t('clients.form.sections.business'))} variant="unstyled">
        <SimpleGrid {...grid}>
          <Select
            label={t('clients.fields.label')}
            data={(labels.data ?? []).map((label) => ({ value: label.key, label: label.name }))}
            {...clear}
            {...mode}
            {...form.getInputProps('label')}
          />
          <Select
            label={t('clients.fields.location_id')}
            data={(locations.data ?? []).map((location) => ({ value: location.id, label: location.name }))}
            {...clear}
            {...mode}
            {...form.getInputProps('location_id')}
          />
          <Select
            label={t('clients.fields.account_manager_id')}
            data={(members.data ?? []).map((member) => ({
              value: member.user_id,
              label: member.name || member.email,
            }))}
            searchable
            nothingFoundMessage={t('common.nothingFound')}
            {...clear}
            {...mode}
            {...form.getInputProps('account_manager_id')}
          />
          <TextInput
            label={t('clients.fields.source')}
            placeholder={readOnly ? undefined : t('clients.form.sourcePlaceholder')}
            {...mode}
            {...form.getInputProps('source')}
          />
          <TextInput
            label={t('clients.fields.external_id')}
            description={readOnly ? undefined : t('clients.form.externalIdHelp')}
            {...mode}
            {...form.getInputProps('external_id')}
          />
          {withTagsAndConsent ? (
            <TagsInput
              label={t('clients.fields.tags')}
              description={t('clients.form.tagsHelp')}
              data={(tags.data ?? []).map((tag) => tag.name)}
              clearable
              splitChars={[',']}
              maxTags={100}
              {...form.getInputProps('tags')}
            />
          ) : null}
        </SimpleGrid>
      </Fieldset>

      {bySection(fields).map(({ section, fields: list }) => (
        <Fieldset
          key={section ?? ''}
          legend={legend(section ?? t('clients.form.sections.custom'))}
          variant="unstyled"
        >
          <SimpleGrid {...grid}>
            {list.map((field) => {
              const fieldReadOnly = readOnly || !hasRole(role, field.editable_min_role);
              return (
                <CustomFieldInput
                  key={field.id}
                  field={field}
                  readOnly={fieldReadOnly}
                  inputProps={form.getInputProps(`custom.${field.key}`, {
                    type: field.type === 'boolean' ? 'checkbox' : 'input',
                  })}
                />
              );
            })}
          </SimpleGrid>
        </Fieldset>
      ))}

      {withTagsAndConsent ? (
        <Fieldset legend={legend(t('clients.form.sections.consent'))} variant="unstyled">
          <Text size="sm" c="dimmed" mb="sm">
            {t('clients.form.consentHelp')}
          </Text>
          <Group gap="lg" mb="sm">
            {CHANNELS.map((channel) => {
              const ChannelIcon = CHANNEL_ICONS[channel];
              return (
                <Checkbox
                  key={channel}
                  label={
                    <Group gap={6} wrap="nowrap">
                      <ChannelIcon size={16} aria-hidden />
                      {t(`consent.channels.${channel}`)}
                    </Group>
                  }
                  {...form.getInputProps(`consent.${channel}`, { type: 'checkbox' })}
                />
              );
            })}
          </Group>
          {CHANNELS.some((channel) => form.values.consent[channel]) ? (
            <Textarea
              label={t('consent.evidence')}
              description={t('consent.evidenceHelp')}
              placeholder={t('consent.evidencePlaceholder')}
              required
              autosize
              minRows={2}
              {...form.getInputProps('consent_evidence')}
            />
          ) : null}
        </Fieldset>
      ) : null}
    </Stack>
  );
}
