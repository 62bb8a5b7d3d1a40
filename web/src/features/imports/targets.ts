import type { TFunction } from 'i18next';
import type { CustomField } from '../../api/custom-fields';

/** Client fields a column can go to, in the order the mapping menu lists them. */
export const CLIENT_TARGETS = [
  'first_name',
  'last_name',
  'full_name',
  'email',
  'phone',
  'city',
  'country',
  'birthday',
  'tags',
  'external_id',
  'source',
  'label',
  'locale',
  'timezone',
] as const;

/** The grouped options of a column's target menu: client fields, custom fields, a new field, ignore. */
export function targetOptions(
  t: TFunction,
  fields: CustomField[],
  suggestedKey: string,
  canCreateFields: boolean,
) {
  const groups: Array<{ group: string; items: Array<{ value: string; label: string }> }> = [
    {
      group: t('imports.mapping.groupClient'),
      items: CLIENT_TARGETS.map((target) => ({ value: target, label: t(`imports.targets.${target}`) })),
    },
  ];
  if (fields.length)
    groups.push({
      group: t('imports.mapping.groupCustom'),
      items: fields.map((f) => ({ value: `custom.${f.key}`, label: f.label })),
    });
  groups.push({
    group: t('imports.mapping.groupOther'),
    items: [
      ...(canCreateFields && !fields.some((f) => f.key === suggestedKey)
        ? [{ value: `new.${suggestedKey}`, label: t('imports.mapping.newField', { key: suggestedKey }) }]
        : []),
      { value: 'ignore', label: t('imports.mapping.ignore') },
    ],
  });
  return groups;
}
