import { Anchor, Avatar, Badge, Group, Stack, Text, Tooltip } from '@mantine/core';
import { IconShieldCheck } from '@tabler/icons-react';
import { type ReactNode, useCallback, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { Client } from '../../../api/clients';
import { type CustomField, useCustomFields } from '../../../api/custom-fields';
import { useLabels } from '../../../api/labels';
import { useLocations } from '../../../api/locations';
import { useMe } from '../../../api/me';
import { getSelectedWorkspaceId } from '../../../api/workspace-store';
import { hasRole } from '../../../lib/roles';
import { DateTime } from '../../../ui/DateTime';
import { ConsentIcons } from '../shared/ConsentIcons';
import { CustomValue } from '../shared/CustomValue';
import { useFormatters } from '../shared/format';
import { RiskBadge } from '../shared/RiskBadge';
import { TagChips } from '../shared/TagChips';

export interface ClientColumn {
  id: string;
  header: string;
  /** Shown in the table header instead of `header` (which stays the accessible name). */
  headerNode?: ReactNode;
  /** The server's sort key; absent = not sortable. */
  sort?: string;
  /** First click sorts descending (numbers and dates: biggest, newest first). */
  descendingFirst?: boolean;
  align?: 'left' | 'right';
  /** Minimum width in px, used to size the scroll area. */
  width: number;
  render: (client: Client) => ReactNode;
  /** Shown in the chooser under "Custom fields". */
  custom?: boolean;
}

export const DEFAULT_COLUMNS = ['phone', 'tags', 'consent', 'lifetime_value', 'risk', 'last_activity'];
const STORAGE_PREFIX = 'clientela.clients.columns';

function storageKey() {
  return `${STORAGE_PREFIX}.${getSelectedWorkspaceId() ?? 'default'}`;
}

function readStored(): string[] | null {
  try {
    const raw = window.localStorage.getItem(storageKey());
    const parsed: unknown = raw ? JSON.parse(raw) : null;
    return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : null;
  } catch {
    return null;
  }
}

/** Which optional columns are shown; remembered in this browser, per workspace. */
export function useColumnPrefs() {
  const [visible, setVisible] = useState<string[]>(() => readStored() ?? DEFAULT_COLUMNS);
  const update = useCallback((next: string[]) => {
    setVisible(next);
    try {
      window.localStorage.setItem(storageKey(), JSON.stringify(next));
    } catch {
      // storage unavailable: the choice lasts for this visit only
    }
  }, []);
  return { visible, setVisible: update, reset: () => update(DEFAULT_COLUMNS) };
}

function Plain({ value }: { value: string | null | undefined }) {
  if (!value)
    return (
      <Text size="sm" c="dimmed" span>
        —
      </Text>
    );
  return (
    <Text size="sm" span style={{ whiteSpace: 'nowrap' }}>
      {value}
    </Text>
  );
}

/** Fields this role may see, in the server's order (section, then position). */
export function visibleFields(fields: CustomField[] | undefined, role: Parameters<typeof hasRole>[0]) {
  return (fields ?? []).filter((field) => !field.archived_at && hasRole(role, field.visible_min_role));
}

/** Every column the list can show: the name first and always, then the optional ones. */
export function useClientColumns(): ClientColumn[] {
  const { t } = useTranslation();
  const format = useFormatters();
  const { data: me } = useMe();
  const fields = useCustomFields();
  const labels = useLabels();
  const locations = useLocations(true);

  return useMemo(() => {
    const labelOf = new Map((labels.data ?? []).map((label) => [label.key, label]));
    const locationOf = new Map((locations.data ?? []).map((location) => [location.id, location.name]));
    const columns: ClientColumn[] = [
      {
        id: 'name',
        header: t('clients.columns.name'),
        sort: 'name',
        width: 230,
        render: (client) => (
          <Group gap={10} wrap="nowrap">
            <Avatar name={client.name} color="initials" size={30} radius="xl" aria-hidden />
            <Stack gap={0} style={{ minWidth: 0 }}>
              <Anchor
                component={Link}
                to={client.id}
                size="sm"
                fw={600}
                c="var(--mantine-color-text)"
                truncate="end"
                maw={170}
              >
                {client.name}
              </Anchor>
              {client.email ? (
                <Text size="xs" c="dimmed" truncate="end" maw={170}>
                  {client.email}
                </Text>
              ) : null}
            </Stack>
          </Group>
        ),
      },
      {
        id: 'email',
        header: t('clients.columns.email'),
        sort: 'email',
        width: 200,
        render: (client) => <Plain value={client.email} />,
      },
      {
        id: 'phone',
        header: t('clients.columns.phone'),
        sort: 'phone',
        width: 130,
        render: (client) => <Plain value={client.phone} />,
      },
      {
        id: 'tags',
        header: t('clients.columns.tags'),
        width: 150,
        render: (client) => <TagChips tags={client.tags} max={2} budget={13} />,
      },
      {
        id: 'consent',
        header: t('clients.columns.consent'),
        // An icon keeps the column as narrow as its four icons in every language.
        headerNode: (
          <Tooltip label={t('clients.columns.consent')} withArrow>
            <Group
              gap={4}
              wrap="nowrap"
              tabIndex={0}
              aria-label={t('clients.columns.consent')}
              w="fit-content"
            >
              <IconShieldCheck size={18} stroke={1.8} aria-hidden />
            </Group>
          </Tooltip>
        ),
        width: 90,
        render: (client) => <ConsentIcons consent={client.consent} />,
      },
      {
        id: 'lifetime_value',
        header: t('clients.columns.lifetimeValue'),
        sort: 'lifetime_value',
        descendingFirst: true,
        align: 'right',
        width: 90,
        render: (client) => (
          <Text size="sm" ff="var(--mantine-font-family)" style={{ fontVariantNumeric: 'tabular-nums' }}>
            {format.money(client.lifetime_value)}
          </Text>
        ),
      },
      {
        id: 'risk',
        header: t('clients.columns.risk'),
        sort: 'risk_score',
        descendingFirst: true,
        width: 90,
        render: (client) => <RiskBadge client={client} compact />,
      },
      {
        id: 'last_activity',
        header: t('clients.columns.lastActivity'),
        sort: 'last_activity_at',
        descendingFirst: true,
        width: 100,
        render: (client) => <DateTime value={client.last_activity_at} empty={t('common.never')} />,
      },
      {
        id: 'label',
        header: t('clients.columns.label'),
        sort: 'label',
        width: 120,
        render: (client) => {
          const label = client.label ? labelOf.get(client.label) : undefined;
          if (!client.label) return <Plain value={null} />;
          return (
            <Badge variant="dot" color={label?.color ?? 'gray'} tt="none" radius="sm">
              {label?.name ?? client.label}
            </Badge>
          );
        },
      },
      {
        id: 'location',
        header: t('clients.columns.location'),
        width: 150,
        render: (client) => (
          <Plain value={client.location_id ? (locationOf.get(client.location_id) ?? null) : null} />
        ),
      },
      {
        id: 'city',
        header: t('clients.columns.city'),
        sort: 'city',
        width: 120,
        render: (client) => <Plain value={client.city} />,
      },
      {
        id: 'country',
        header: t('clients.columns.country'),
        sort: 'country',
        width: 90,
        render: (client) => <Plain value={client.country} />,
      },
      {
        id: 'booking_count',
        header: t('clients.columns.bookings'),
        sort: 'booking_count',
        descendingFirst: true,
        align: 'right',
        width: 100,
        render: (client) => <Plain value={format.number(client.booking_count)} />,
      },
      {
        id: 'last_booking',
        header: t('clients.columns.lastBooking'),
        sort: 'last_booking_at',
        descendingFirst: true,
        width: 130,
        render: (client) => <DateTime value={client.last_booking_at} empty={t('common.never')} />,
      },
      {
        id: 'source',
        header: t('clients.columns.source'),
        sort: 'source',
        width: 130,
        render: (client) => <Plain value={client.source} />,
      },
      {
        id: 'external_id',
        header: t('clients.columns.externalId'),
        sort: 'external_id',
        width: 130,
        render: (client) => <Plain value={client.external_id} />,
      },
      {
        id: 'created_at',
        header: t('clients.columns.added'),
        sort: 'created_at',
        descendingFirst: true,
        width: 130,
        render: (client) => <DateTime value={client.created_at} />,
      },
    ];
    for (const field of visibleFields(fields.data, me?.role)) {
      columns.push({
        id: `custom.${field.key}`,
        header: field.label,
        sort: `custom.${field.key}`,
        descendingFirst: field.type === 'number' || field.type === 'date',
        align: field.type === 'number' ? 'right' : undefined,
        width: 130,
        custom: true,
        render: (client) => <CustomValue field={field} value={client.custom[field.key]} />,
      });
    }
    return columns;
  }, [t, format, fields.data, labels.data, locations.data, me?.role]);
}
