import { type ComboboxItemGroup, Select } from '@mantine/core';
import { forwardRef, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { FIELD_GROUPS, type FieldCatalog, type FieldGroup, KNOWN_EVENTS, unknownField } from '../fields';
import { type ConditionDraft, emptyFieldDraft, newEngagementDraft, newEventDraft, withField } from '../model';

interface Props {
  catalog: FieldCatalog;
  value: string | null;
  draft: ConditionDraft;
  onChange: (draft: ConditionDraft) => void;
  error?: string;
  readOnly?: boolean;
}

/** The picker of what a condition is about, grouped: Profile, Custom fields, Tags, Consent, Activity, Engagement. */
export const FieldPicker = forwardRef<HTMLInputElement, Props>(function FieldPicker(
  { catalog, value, draft, onChange, error, readOnly },
  ref,
) {
  const { t } = useTranslation();
  const data = useMemo(() => {
    const groups: Record<FieldGroup, Array<{ value: string; label: string }>> = {
      profile: [],
      custom: [],
      tags: [],
      consent: [],
      activity: [],
      engagement: [],
    };
    for (const field of catalog.fields)
      groups[field.group].push({ value: `f:${field.key}`, label: field.label });
    if (draft.type === 'field' && draft.field && !catalog.byKey.has(draft.field)) {
      const missing = unknownField(draft.field);
      groups[missing.group].push({ value: `f:${missing.key}`, label: missing.label });
    }
    for (const event of KNOWN_EVENTS)
      groups.activity.push({ value: `e:${event}`, label: t(`segments.events.${event}`) });
    groups.activity.push({ value: 'e:*', label: t('segments.events.other') });
    groups.engagement.push({ value: 'g:engagement', label: t('segments.engagement.field') });
    return FIELD_GROUPS.filter((group) => groups[group].length).map(
      (group): ComboboxItemGroup<{ value: string; label: string }, string> => ({
        group: t(`segments.groups.${group}`),
        items: groups[group],
      }),
    );
  }, [catalog, draft, t]);

  const choose = (next: string | null) => {
    if (!next || next === value) return;
    if (next.startsWith('f:')) {
      const key = next.slice(2);
      const info = catalog.byKey.get(key) ?? unknownField(key);
      const previous =
        draft.type === 'field' && draft.field
          ? (catalog.byKey.get(draft.field) ?? unknownField(draft.field))
          : null;
      // Options of selects (and country codes) are the field's own: they don't carry over to another field.
      const carries = (type: string, name: string) =>
        ['text', 'number', 'date', 'boolean', 'tags'].includes(type) && name !== 'country';
      const sameKind =
        previous &&
        previous.type === info.type &&
        carries(info.type, key) &&
        carries(previous.type, previous.key);
      onChange(
        withField(
          draft.type === 'field' ? draft : emptyFieldDraft(),
          key,
          info.type,
          sameKind ? previous.type : undefined,
        ),
      );
    } else if (next.startsWith('e:')) {
      const event = next === 'e:*' ? '' : next.slice(2);
      onChange(draft.type === 'event' ? { ...draft, event } : newEventDraft(event));
    } else {
      onChange(newEngagementDraft());
    }
  };

  return (
    <Select
      ref={ref}
      aria-label={t('segments.builder.field')}
      placeholder={t('segments.builder.chooseField')}
      data={data}
      value={value}
      onChange={choose}
      searchable
      selectFirstOptionOnChange
      nothingFoundMessage={t('common.nothingFound')}
      maxDropdownHeight={360}
      comboboxProps={{ width: 280, position: 'bottom-start' }}
      error={error}
      readOnly={readOnly}
      allowDeselect={false}
      w={{ base: '100%', xs: 165 }}
    />
  );
});
