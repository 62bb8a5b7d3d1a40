import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { useCustomFields } from '../../api/custom-fields';
import { useLabels } from '../../api/labels';
import { useLocations } from '../../api/locations';
import { useMe } from '../../api/me';
import type { FieldType } from '../../api/segments';
import { useTags } from '../../api/tags';
import { hasRole } from '../../lib/roles';
import type { ConditionDraft } from './model';

/** The picker's groups, in the order a front-desk person thinks of them. */
export const FIELD_GROUPS = ['profile', 'custom', 'tags', 'consent', 'activity', 'engagement'] as const;
export type FieldGroup = (typeof FIELD_GROUPS)[number];

export const PROFILE_FIELDS: ReadonlyArray<readonly [string, FieldType]> = [
  ['name', 'text'],
  ['first_name', 'text'],
  ['last_name', 'text'],
  ['email', 'text'],
  ['phone', 'text'],
  ['city', 'text'],
  ['country', 'text'],
  ['locale', 'text'],
  ['label', 'select'],
  ['location_id', 'select'],
  ['source', 'text'],
  ['external_id', 'text'],
  ['lifetime_value', 'number'],
  ['risk_score', 'number'],
  ['created_at', 'date'],
  ['last_activity_at', 'date'],
  ['last_contacted_at', 'date'],
];

export const CONSENT_CHANNELS = ['email', 'sms', 'whatsapp', 'push'] as const;

/** Event types every business has; any other lower-case word works too. */
export const KNOWN_EVENTS = ['booking', 'payment', 'purchase', 'support', 'visit'] as const;

const CUSTOM_TYPE_AS: Record<string, FieldType> = {
  text: 'text',
  url: 'text',
  email: 'text',
  phone: 'text',
  number: 'number',
  date: 'date',
  boolean: 'boolean',
  select: 'select',
  multi_select: 'multi_select',
};

export interface Option {
  value: string;
  label: string;
}

export interface FieldInfo {
  /** The name in the tree: city, tags, consent.email, custom.shoe_size. */
  key: string;
  type: FieldType;
  group: FieldGroup;
  label: string;
  /** Choices of select and multi-select fields (labels, locations, custom options). */
  options?: Option[];
  /** A field the workspace no longer has (archived or hidden custom field). */
  unknown?: boolean;
}

export interface FieldCatalog {
  fields: FieldInfo[];
  byKey: Map<string, FieldInfo>;
  /** Tag names for autocomplete. */
  tags: string[];
  locations: Option[];
  labelName: (key: string) => string | undefined;
  locationName: (id: string) => string | undefined;
  customField: (key: string) => { label: string; type: FieldType } | undefined;
  loading: boolean;
}

/** Every field a condition can use, with names in the reader's language and the workspace's own choices. */
export function useFieldCatalog(): FieldCatalog {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const customFields = useCustomFields();
  const labels = useLabels();
  const locations = useLocations(true);
  const tags = useTags();

  return useMemo(() => {
    const labelOptions = (labels.data ?? []).map((label) => ({ value: label.key, label: label.name }));
    const locationOptions = (locations.data ?? []).map((location) => ({
      value: location.id,
      label: location.archived_at ? `${location.name} (${t('segments.builder.archived')})` : location.name,
    }));
    const fields: FieldInfo[] = PROFILE_FIELDS.map(([key, type]) => ({
      key,
      type,
      group: 'profile',
      label: t(`segments.describe.fieldNames.${key}` as 'segments.describe.fieldNames.city'),
      options: key === 'label' ? labelOptions : key === 'location_id' ? locationOptions : undefined,
    }));
    for (const field of customFields.data ?? []) {
      if (field.archived_at || !hasRole(me?.role, field.visible_min_role)) continue;
      const type = CUSTOM_TYPE_AS[field.type];
      if (!type) continue;
      fields.push({
        key: `custom.${field.key}`,
        type,
        group: 'custom',
        label: field.label,
        options:
          type === 'select' || type === 'multi_select'
            ? field.options.map((option) => ({ value: option, label: option }))
            : undefined,
      });
    }
    fields.push({ key: 'tags', type: 'tags', group: 'tags', label: t('segments.describe.fieldNames.tags') });
    for (const channel of CONSENT_CHANNELS)
      fields.push({
        key: `consent.${channel}`,
        type: 'boolean',
        group: 'consent',
        label: t('segments.builder.consentField', { channel: t(`consent.channels.${channel}`) }),
      });
    const byKey = new Map(fields.map((field) => [field.key, field]));
    const labelNames = new Map(labelOptions.map((option) => [option.value, option.label]));
    const locationNames = new Map((locations.data ?? []).map((location) => [location.id, location.name]));
    return {
      fields,
      byKey,
      tags: (tags.data ?? []).map((tag) => tag.name),
      locations: locationOptions,
      labelName: (key: string) => labelNames.get(key),
      locationName: (id: string) => locationNames.get(id),
      customField: (key: string) => {
        const info = byKey.get(`custom.${key}`);
        return info ? { label: info.label, type: info.type } : undefined;
      },
      loading: customFields.isPending || labels.isPending || locations.isPending,
    };
  }, [
    t,
    me?.role,
    customFields.data,
    customFields.isPending,
    labels.data,
    labels.isPending,
    locations.data,
    locations.isPending,
    tags.data,
  ]);
}

/** The picker entry of a condition: "f:city", "e:booking", "e:*" (another event), "g:engagement". */
export function pickerValue(draft: ConditionDraft): string | null {
  if (draft.type === 'event')
    return (KNOWN_EVENTS as readonly string[]).includes(draft.event) ? `e:${draft.event}` : 'e:*';
  if (draft.type === 'engagement') return 'g:engagement';
  return draft.field ? `f:${draft.field}` : null;
}

/** A field in the tree the catalog doesn't know (archived, hidden from this role, or mistyped). */
export function unknownField(key: string): FieldInfo {
  const type: FieldType = 'text';
  return { key, type, group: key.startsWith('custom.') ? 'custom' : 'profile', label: key, unknown: true };
}
