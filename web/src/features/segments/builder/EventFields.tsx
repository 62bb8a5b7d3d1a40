import {
  ActionIcon,
  Autocomplete,
  Button,
  Group,
  NumberInput,
  Select,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import { IconMapPin, IconPlus, IconX } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { COMPARE_OPS, type CompareOp, ENGAGEMENT_CHANNELS, ENGAGEMENTS } from '../../../api/segments';
import { type FieldCatalog, KNOWN_EVENTS } from '../fields';
import type { EngagementDraft, EventDraft, PropertyDraft } from '../model';

type Errors = Record<string, string>;

const toNumber = (value: number | string): number | null =>
  typeof value === 'number'
    ? value
    : value === ''
      ? null
      : Number.isFinite(Number(value))
        ? Number(value)
        : null;

/** "true"/"false" and numbers become booleans and numbers; anything else is text. */
function propertyValue(text: string, previous: PropertyDraft['value']): PropertyDraft['value'] {
  if (typeof previous === 'string' && previous !== '' && !/^(true|false|-?\d+(\.\d+)?)$/.test(previous))
    return text;
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return text;
}

const WINDOWS = [7, 30, 90, 180, 365];

/** When: at any time, a common window (7, 30, 90, 180, 365 days), or any number of days. */
function WithinDays({
  value,
  onChange,
  error,
  readOnly,
}: {
  value: number | null;
  onChange: (value: number | null) => void;
  error?: string;
  readOnly: boolean;
}) {
  const { t } = useTranslation();
  const [custom, setCustom] = useState(value !== null && !WINDOWS.includes(value));
  const choice = value === null ? 'any' : custom || !WINDOWS.includes(value) ? 'custom' : String(value);
  return (
    <Group gap={6} wrap="nowrap" align="flex-start">
      <Select
        aria-label={t('segments.builder.window.label')}
        data={[
          { value: 'any', label: t('segments.builder.window.any') },
          ...WINDOWS.map((days) => ({
            value: String(days),
            label: t('segments.builder.window.days', { count: days }),
          })),
          { value: 'custom', label: t('segments.builder.window.custom') },
        ]}
        value={choice}
        onChange={(next) => {
          if (!next) return;
          if (next === 'custom') {
            setCustom(true);
            onChange(value ?? 60);
          } else {
            setCustom(false);
            onChange(next === 'any' ? null : Number(next));
          }
        }}
        allowDeselect={false}
        readOnly={readOnly}
        error={choice === 'custom' ? undefined : error}
        w={190}
        comboboxProps={{ width: 220, position: 'bottom-start' }}
      />
      {choice === 'custom' ? (
        <NumberInput
          aria-label={t('segments.builder.withinDays')}
          value={value ?? ''}
          onChange={(next) => onChange(toNumber(next) ?? 1)}
          min={1}
          max={3650}
          allowDecimal={false}
          allowNegative={false}
          w={110}
          error={error}
          readOnly={readOnly}
          rightSection={
            <Text size="xs" c="dimmed" pr={6}>
              {t('segments.builder.daysShort')}
            </Text>
          }
          rightSectionWidth={44}
          rightSectionPointerEvents="none"
        />
      ) : null}
    </Group>
  );
}

interface EventProps {
  draft: EventDraft;
  onChange: (draft: EventDraft) => void;
  catalog: FieldCatalog;
  errors: Errors;
  readOnly: boolean;
}

/** An event condition: type, number or total amount, comparison, window, and optional location and properties. */
export function EventFields({ draft, onChange, catalog, errors, readOnly }: EventProps) {
  const { t } = useTranslation();
  const set = (patch: Partial<EventDraft>) => onChange({ ...draft, ...patch });
  const known = (KNOWN_EVENTS as readonly string[]).includes(draft.event);
  const typeError =
    errors.event ??
    (draft.event && !/^[a-z][a-z0-9_]{0,39}$/.test(draft.event)
      ? t('segments.builder.eventTypeRule')
      : undefined);
  const setProperty = (index: number, patch: Partial<PropertyDraft>) =>
    set({
      properties: draft.properties.map((property, i) => (i === index ? { ...property, ...patch } : property)),
    });

  return (
    <Stack gap={6} style={{ flex: '1 1 100%' }}>
      <Group gap="xs" align="flex-start" wrap="wrap">
        {known ? null : (
          <Autocomplete
            aria-label={t('segments.builder.eventType')}
            placeholder={t('segments.builder.eventTypePlaceholder')}
            data={[...KNOWN_EVENTS]}
            value={draft.event}
            onChange={(next) => set({ event: next.trim().toLowerCase().replace(/\s+/g, '_') })}
            error={typeError}
            readOnly={readOnly}
            w={170}
            maxLength={40}
          />
        )}
        <Select
          aria-label={t('segments.builder.measure')}
          data={[
            { value: 'count', label: t('segments.builder.measureCount') },
            { value: 'sum', label: t('segments.builder.measureSum') },
          ]}
          value={draft.measure}
          onChange={(next) => next && set({ measure: next as EventDraft['measure'] })}
          allowDeselect={false}
          readOnly={readOnly}
          error={errors.measure}
          w={150}
        />
        <Select
          aria-label={t('segments.builder.operator')}
          data={COMPARE_OPS.map((op) => ({ value: op, label: t(`segments.compare.${op}`) }))}
          value={draft.op}
          onChange={(next) => next && set({ op: next as CompareOp })}
          allowDeselect={false}
          readOnly={readOnly}
          error={errors.op}
          w={140}
        />
        <NumberInput
          aria-label={t('segments.builder.value')}
          value={draft.value ?? ''}
          onChange={(next) => set({ value: toNumber(next) })}
          allowDecimal={draft.measure === 'sum'}
          decimalScale={2}
          allowNegative={draft.measure === 'sum'}
          min={draft.measure === 'count' ? 0 : undefined}
          error={errors.value}
          readOnly={readOnly}
          w={110}
        />
        <WithinDays
          value={draft.within_days}
          onChange={(within_days) => set({ within_days })}
          error={errors.within_days}
          readOnly={readOnly}
        />
      </Group>
      {draft.location_id !== null || draft.properties.length ? (
        <Stack gap={6} pl="xs" style={{ borderLeft: '2px solid var(--mantine-color-default-border)' }}>
          {draft.location_id !== null ? (
            <Group gap="xs" wrap="nowrap">
              <Text size="sm" c="dimmed" w={70}>
                {t('segments.builder.atLocation')}
              </Text>
              <Select
                aria-label={t('segments.builder.location')}
                data={catalog.locations}
                value={draft.location_id || null}
                onChange={(next) => set({ location_id: next ?? '' })}
                placeholder={t('segments.builder.pickLocation')}
                error={errors.location_id}
                readOnly={readOnly}
                searchable
                style={{ flex: '0 1 260px' }}
              />
              {readOnly ? null : (
                <ActionIcon
                  variant="subtle"
                  color="gray"
                  aria-label={t('segments.builder.removeLocation')}
                  onClick={() => set({ location_id: null })}
                >
                  <IconX size={16} aria-hidden />
                </ActionIcon>
              )}
            </Group>
          ) : null}
          {draft.properties.map((property, index) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: property rows are edited in place, keys may be empty
            <Group key={index} gap="xs" wrap="nowrap" align="flex-start">
              <Text size="sm" c="dimmed" w={70} mt={7}>
                {index === 0 ? t('segments.builder.where') : t('segments.builder.and')}
              </Text>
              <TextInput
                aria-label={t('segments.builder.propertyName')}
                placeholder={t('segments.builder.propertyNamePlaceholder')}
                value={property.key}
                onChange={(event) => setProperty(index, { key: event.currentTarget.value })}
                error={errors[`properties/${property.key}`]}
                readOnly={readOnly}
                maxLength={64}
                w={150}
              />
              <Text size="sm" mt={7}>
                =
              </Text>
              <TextInput
                aria-label={t('segments.builder.propertyValue')}
                placeholder={t('segments.builder.propertyValuePlaceholder')}
                value={String(property.value)}
                onChange={(event) =>
                  setProperty(index, { value: propertyValue(event.currentTarget.value, property.value) })
                }
                readOnly={readOnly}
                maxLength={500}
                style={{ flex: '0 1 200px' }}
              />
              {readOnly ? null : (
                <ActionIcon
                  variant="subtle"
                  color="gray"
                  mt={4}
                  aria-label={t('segments.builder.removeProperty')}
                  onClick={() => set({ properties: draft.properties.filter((_, i) => i !== index) })}
                >
                  <IconX size={16} aria-hidden />
                </ActionIcon>
              )}
            </Group>
          ))}
        </Stack>
      ) : null}
      {readOnly ? null : (
        <Group gap={4}>
          {draft.location_id === null && catalog.locations.length ? (
            <Button
              variant="subtle"
              size="compact-xs"
              leftSection={<IconMapPin size={14} aria-hidden />}
              onClick={() => set({ location_id: '' })}
            >
              {t('segments.builder.addLocation')}
            </Button>
          ) : null}
          {draft.properties.length < 20 ? (
            <Button
              variant="subtle"
              size="compact-xs"
              leftSection={<IconPlus size={14} aria-hidden />}
              onClick={() => set({ properties: [...draft.properties, { key: '', value: '' }] })}
            >
              {t('segments.builder.addProperty')}
            </Button>
          ) : null}
        </Group>
      )}
    </Stack>
  );
}

interface EngagementProps {
  draft: EngagementDraft;
  onChange: (draft: EngagementDraft) => void;
  errors: Errors;
  readOnly: boolean;
}

/** A campaign engagement condition: has / has not, which step, on which channel, how recently. */
export function EngagementFields({ draft, onChange, errors, readOnly }: EngagementProps) {
  const { t } = useTranslation();
  const set = (patch: Partial<EngagementDraft>) => onChange({ ...draft, ...patch });
  return (
    <Stack gap={6} style={{ flex: '1 1 100%' }}>
      <Group gap="xs" align="flex-start" wrap="wrap">
        <Select
          aria-label={t('segments.builder.operator')}
          data={[
            { value: 'has', label: t('segments.engagement.has') },
            { value: 'has_not', label: t('segments.engagement.hasNot') },
          ]}
          value={draft.op}
          onChange={(next) => next && set({ op: next as EngagementDraft['op'] })}
          allowDeselect={false}
          readOnly={readOnly}
          error={errors.op}
          w={130}
        />
        <Select
          aria-label={t('segments.engagement.what')}
          data={ENGAGEMENTS.map((engagement) => ({
            value: engagement,
            label: t(`segments.engagement.kinds.${engagement}`),
          }))}
          value={draft.engagement}
          onChange={(next) => next && set({ engagement: next as EngagementDraft['engagement'] })}
          allowDeselect={false}
          readOnly={readOnly}
          error={errors.engagement}
          w={210}
        />
        <Select
          aria-label={t('segments.engagement.channel')}
          data={[
            { value: 'any', label: t('segments.engagement.anyChannel') },
            ...ENGAGEMENT_CHANNELS.map((channel) => ({
              value: channel,
              label: t(`consent.channels.${channel}`),
            })),
          ]}
          value={draft.channel ?? 'any'}
          onChange={(next) =>
            set({ channel: !next || next === 'any' ? null : (next as EngagementDraft['channel']) })
          }
          allowDeselect={false}
          readOnly={readOnly}
          error={errors.channel}
          w={170}
        />
        <WithinDays
          value={draft.within_days}
          onChange={(within_days) => set({ within_days })}
          error={errors.within_days}
          readOnly={readOnly}
        />
      </Group>
      {draft.campaign_id ? (
        <Group gap="xs">
          <Text size="sm" c="dimmed">
            {t('segments.engagement.campaign', { id: draft.campaign_id })}
          </Text>
          {readOnly ? null : (
            <Button variant="subtle" size="compact-xs" onClick={() => set({ campaign_id: null })}>
              {t('segments.engagement.anyCampaign')}
            </Button>
          )}
        </Group>
      ) : null}
      {errors.campaign_id ? (
        <Text size="xs" c="red">
          {errors.campaign_id}
        </Text>
      ) : null}
    </Stack>
  );
}
