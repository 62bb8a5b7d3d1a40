import { Anchor, Badge, Group, List, Stack, Text } from '@mantine/core';
import {
  type Icon,
  IconAlertCircle,
  IconAlertTriangle,
  IconArchive,
  IconArchiveOff,
  IconArrowMerge,
  IconBan,
  IconBolt,
  IconCalendarEvent,
  IconCash,
  IconChecklist,
  IconChecks,
  IconCircleCheck,
  IconCircleX,
  IconClick,
  IconClock,
  IconDoorEnter,
  IconEye,
  IconFilter,
  IconFilterOff,
  IconGauge,
  IconHelpCircle,
  IconHourglass,
  IconLifebuoy,
  IconMailOpened,
  IconMessageCircle,
  IconNote,
  IconPencil,
  IconPlayerSkipForward,
  IconSend,
  IconShieldCheck,
  IconShoppingBag,
  IconSpeakerphone,
  IconTag,
  IconTicket,
  IconTruck,
  IconUserPlus,
} from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { CLIENT_FIELDS } from '../../../api/clients';
import type { CustomField } from '../../../api/custom-fields';
import type { TimelineItem } from '../../../api/timeline';
import type { Role } from '../../../api/types';
import { hasRole } from '../../../lib/roles';
import { useOptionalT } from '../../../ui/useOptionalT';
import { humanize, useFormatters } from '../shared/format';

export const EVENT_TYPES = [
  'booking',
  'payment',
  'purchase',
  'support',
  'visit',
  'logistics',
  'promotion',
  'insurance',
] as const;

const EVENT_ICONS: Record<string, Icon> = {
  booking: IconCalendarEvent,
  payment: IconCash,
  purchase: IconShoppingBag,
  support: IconLifebuoy,
  visit: IconDoorEnter,
  logistics: IconTruck,
  promotion: IconSpeakerphone,
  insurance: IconShieldCheck,
  email_opened: IconMailOpened,
  email_clicked: IconClick,
  sms_inbound: IconMessageCircle,
  whatsapp_inbound: IconMessageCircle,
};

/** What a campaign message went through, one timeline item per status: its icon and colour. */
export const MESSAGE_STATUSES = {
  queued: { icon: IconClock, color: 'gray' },
  held: { icon: IconHourglass, color: 'grape' },
  skipped: { icon: IconPlayerSkipForward, color: 'yellow' },
  sent: { icon: IconSend, color: 'blue' },
  delivered: { icon: IconChecks, color: 'teal' },
  read: { icon: IconEye, color: 'green' },
  failed: { icon: IconAlertCircle, color: 'red' },
  unknown: { icon: IconHelpCircle, color: 'orange' },
  cancelled: { icon: IconBan, color: 'gray' },
} as const satisfies Record<string, { icon: Icon; color: string }>;
type MessageStatus = keyof typeof MESSAGE_STATUSES;
const ENGAGEMENT_COLORS: Record<string, string> = {
  email_opened: 'green',
  email_clicked: 'grape',
  sms_inbound: 'cyan',
  whatsapp_inbound: 'cyan',
};

const NOTE_ICONS: Record<string, Icon> = {
  info: IconNote,
  warning: IconAlertTriangle,
  action: IconChecklist,
};
export const NOTE_COLORS: Record<string, string> = { info: 'blue', warning: 'orange', action: 'grape' };
const HISTORY_ICONS: Record<string, Icon> = {
  created: IconUserPlus,
  fields: IconPencil,
  tags: IconTag,
  merged: IconArrowMerge,
  risk_override: IconGauge,
  segment_entered: IconFilter,
  segment_exited: IconFilterOff,
  archived: IconArchive,
  unarchived: IconArchiveOff,
};

export interface Described {
  icon: Icon;
  color: string;
  title: ReactNode;
  body?: ReactNode;
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value.trim() ? value : null;
}

function list(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

export interface Lookups {
  fields: CustomField[];
  role: Role | undefined;
  /** label key → name, location id → name, member id → name */
  labels: Map<string, string>;
  locations: Map<string, string>;
  members: Map<string, string>;
  /** campaign id → name (from the message items loaded so far) */
  campaigns?: Map<string, string>;
}

/** Words, icon and color for one timeline entry, whatever stream it comes from. */
export function useDescribe({ fields, role, labels, locations, members, campaigns }: Lookups) {
  const { t } = useTranslation();
  const optionalT = useOptionalT();
  const format = useFormatters();
  const fieldLabel = (name: string) => {
    if (name.startsWith('custom.')) {
      const key = name.slice(7);
      return fields.find((field) => field.key === key)?.label ?? humanize(key);
    }
    return (CLIENT_FIELDS as readonly string[]).includes(name)
      ? optionalT(`clients.fields.${name}`, humanize(name))
      : humanize(name);
  };
  const show = (value: unknown, field?: string) => {
    if (value === null || value === undefined || value === '') return t('timeline.empty');
    if (typeof value === 'string') {
      if (field === 'label') return labels.get(value) ?? value;
      if (field === 'location_id') return locations.get(value) ?? value;
      if (field === 'account_manager_id') return members.get(value) ?? value;
    }
    if (typeof value === 'boolean') return value ? t('common.yes') : t('common.no');
    if (Array.isArray(value)) return value.join(', ');
    return String(value);
  };

  /**
   * "· Spring sale" after the title: the campaign's name, a plain focusable link to its page. One
   * line per item keeps a long run of message statuses readable.
   */
  const campaignInline = (id: string | null, name: string | null, deleted = false) =>
    id ? (
      <Text span size="sm" fw={400} c="dimmed">
        {'· '}
        {deleted ? (
          <span>
            {name ?? '—'} {t('timeline.message.campaignDeleted')}
          </span>
        ) : (
          <Anchor
            component={Link}
            to={`/campaigns/${id}`}
            size="sm"
            fw={600}
            aria-label={`${t('timeline.message.campaign')}: ${name ?? campaigns?.get(id) ?? t('timeline.message.openCampaign')}`}
          >
            {name ?? campaigns?.get(id) ?? t('timeline.message.openCampaign')}
          </Anchor>
        )}
      </Text>
    ) : null;

  return (item: TimelineItem): Described => {
    const d = item.data;
    switch (item.kind) {
      case 'message': {
        const status = (item.type in MESSAGE_STATUSES ? item.type : 'sent') as MessageStatus;
        const channel = str(d.channel) ?? '';
        const code = str(d.code);
        const text = str(d.message);
        const reason =
          status === 'skipped'
            ? t('timeline.message.skippedBecause', {
                reason: code ? optionalT(`campaigns.skipReason.${code}`, humanize(code)) : '—',
              })
            : status === 'failed'
              ? code || text
                ? t('timeline.message.failedBecause', { reason: [code, text].filter(Boolean).join(' — ') })
                : t('timeline.message.failedUnknownReason')
              : status === 'unknown'
                ? [text, t('timeline.message.unknownHelp')].filter(Boolean).join(' — ')
                : null;
        return {
          icon: MESSAGE_STATUSES[status].icon,
          color: MESSAGE_STATUSES[status].color,
          title: (
            <Group gap={6} wrap="wrap">
              <span>
                {t(`timeline.message.status.${status}`, {
                  channel: optionalT(`timeline.message.channels.${channel}`, channel),
                })}
              </span>
              {campaignInline(str(d.campaign_id), str(d.campaign_name), d.campaign_deleted === true)}
            </Group>
          ),
          body:
            reason || d.retried === true ? (
              <Stack gap={2}>
                {reason ? (
                  <Text
                    size="sm"
                    c={status === 'failed' ? 'red.8' : status === 'unknown' ? 'orange.8' : 'dimmed'}
                  >
                    {reason}
                  </Text>
                ) : null}
                {d.retried === true ? (
                  <Text size="xs" c="dimmed">
                    {t('timeline.message.retried')}
                  </Text>
                ) : null}
              </Stack>
            ) : undefined,
        };
      }
      case 'event': {
        if (item.type in ENGAGEMENT_COLORS) {
          const properties = (d.properties && typeof d.properties === 'object' ? d.properties : {}) as Record<
            string,
            unknown
          >;
          const campaignId = str(properties.campaign_id);
          const detail = str(properties.text) ?? str(properties.url);
          return {
            icon: EVENT_ICONS[item.type] ?? IconBolt,
            color: ENGAGEMENT_COLORS[item.type] ?? 'blue',
            title: (
              <Group gap={6} wrap="wrap">
                <span>{optionalT(`timeline.eventTypes.${item.type}`, humanize(item.type))}</span>
                {campaignInline(campaignId, campaignId ? (campaigns?.get(campaignId) ?? null) : null)}
              </Group>
            ),
            body: detail ? (
              <Text size="sm" c="dimmed" lineClamp={3} style={{ wordBreak: 'break-word' }}>
                {detail}
              </Text>
            ) : undefined,
          };
        }
        const amount = typeof d.amount === 'number' ? format.currency(d.amount, str(d.currency)) : null;
        const properties =
          d.properties && typeof d.properties === 'object' ? Object.entries(d.properties) : [];
        return {
          icon: EVENT_ICONS[item.type] ?? IconBolt,
          color: item.type === 'payment' || item.type === 'purchase' ? 'teal' : 'blue',
          title: (
            <Group gap={6}>
              <span>{optionalT(`timeline.eventTypes.${item.type}`, humanize(item.type))}</span>
              {amount ? (
                <Text span fw={650} style={{ fontVariantNumeric: 'tabular-nums' }}>
                  {amount}
                </Text>
              ) : null}
            </Group>
          ),
          body: properties.length ? (
            <Text size="sm" c="dimmed">
              {properties.map(([key, value]) => `${humanize(key)}: ${show(value)}`).join(' · ')}
            </Text>
          ) : undefined,
        };
      }
      case 'note': {
        const type = str(d.type) ?? item.type;
        return {
          icon: NOTE_ICONS[type] ?? IconNote,
          color: NOTE_COLORS[type] ?? 'blue',
          title: (
            <Group gap={6}>
              <span>{t('timeline.note')}</span>
              <Badge size="xs" variant="light" color={NOTE_COLORS[type] ?? 'blue'}>
                {optionalT(`notes.types.${type}`, type)}
              </Badge>
              {d.visibility === 'shared' ? (
                <Badge size="xs" variant="outline" color="gray">
                  {t('notes.visibilities.shared')}
                </Badge>
              ) : null}
            </Group>
          ),
          body: (
            <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} lineClamp={4}>
              {str(d.body) ?? ''}
            </Text>
          ),
        };
      }
      case 'consent': {
        const channel = str(d.channel) ?? '';
        const granted = d.granted === true;
        const source = str(d.source);
        return {
          icon: granted ? IconCircleCheck : IconCircleX,
          color: granted ? 'teal' : 'red',
          title: t(granted ? 'timeline.consentGranted' : 'timeline.consentWithdrawn', {
            channel: optionalT(`consent.channels.${channel}`, channel),
          }),
          body: (
            <Text size="sm" c="dimmed">
              {[source ? optionalT(`consent.sources.${source}`, source) : null, str(d.evidence)]
                .filter(Boolean)
                .join(' · ')}
            </Text>
          ),
        };
      }
      case 'history': {
        const icon = HISTORY_ICONS[item.type] ?? IconPencil;
        if (item.type === 'tags') {
          const added = list(d.added);
          const removed = list(d.removed);
          return {
            icon,
            color: 'violet',
            title:
              added.length && !removed.length
                ? t('timeline.tagsAdded', { tags: added.join(', '), count: added.length })
                : removed.length && !added.length
                  ? t('timeline.tagsRemoved', { tags: removed.join(', '), count: removed.length })
                  : t('timeline.tagsChanged'),
            body:
              added.length && removed.length ? (
                <Text size="sm" c="dimmed">
                  {t('timeline.tagsBoth', { added: added.join(', '), removed: removed.join(', ') })}
                </Text>
              ) : undefined,
          };
        }
        if (item.type === 'risk_override') {
          const score = (d.score as { after?: unknown } | undefined)?.after;
          return {
            icon,
            color: 'orange',
            title: typeof score === 'number' ? t('timeline.riskSet', { score }) : t('timeline.riskRemoved'),
            body: str(d.reason) ? (
              <Text size="sm" c="dimmed">
                {str(d.reason)}
              </Text>
            ) : undefined,
          };
        }
        if (item.type === 'segment_entered' || item.type === 'segment_exited') {
          return {
            icon,
            color: item.type === 'segment_entered' ? 'cyan' : 'gray',
            title: t(item.type === 'segment_entered' ? 'timeline.segmentEntered' : 'timeline.segmentExited', {
              name: str(d.segment_name) ?? '—',
            }),
          };
        }
        if (item.type === 'archived' || item.type === 'unarchived') {
          return {
            icon,
            color: item.type === 'archived' ? 'orange' : 'teal',
            title: t(item.type === 'archived' ? 'timeline.archived' : 'timeline.unarchived'),
          };
        }
        if (item.type === 'merged') {
          return {
            icon,
            color: 'grape',
            title: t('timeline.merged', { name: str(d.other_name) ?? '—' }),
          };
        }
        const allChanges =
          d.changes && typeof d.changes === 'object'
            ? Object.entries(d.changes as Record<string, { before?: unknown; after?: unknown }>)
            : [];
        // Values of custom fields this role may not see stay out of sight here too.
        const changes = allChanges.filter(([name]) => {
          if (!name.startsWith('custom.')) return true;
          const field = fields.find((candidate) => candidate.key === name.slice(7));
          return !field || hasRole(role, field.visible_min_role);
        });
        const title =
          item.type === 'created'
            ? t('timeline.created')
            : item.type === 'fields'
              ? changes.length
                ? t('timeline.fieldsChanged', { count: changes.length })
                : t('timeline.fieldsHidden')
              : humanize(item.type);
        return {
          icon,
          color: item.type === 'created' ? 'teal' : 'gray',
          title,
          body:
            item.type === 'fields' && changes.length ? (
              <List size="sm" spacing={2} c="dimmed">
                {changes.map(([name, change]) => (
                  <List.Item key={name}>
                    {t('timeline.fieldChange', {
                      field: fieldLabel(name),
                      before: show(change?.before, name),
                      after: show(change?.after, name),
                    })}
                  </List.Item>
                ))}
              </List>
            ) : undefined,
        };
      }
      case 'coupon': {
        const redeemed = item.type === 'redeemed';
        const amount = typeof d.amount === 'number' ? format.currency(d.amount, null) : null;
        return {
          icon: IconTicket,
          color: redeemed ? 'teal' : 'pink',
          title: t(redeemed ? 'timeline.couponRedeemed' : 'timeline.couponIssued', {
            code: str(d.code) ?? '',
            value: str(d.value) ?? '',
          }),
          body: (
            <Text size="sm" c="dimmed">
              {redeemed
                ? [str(d.order_reference), amount].filter(Boolean).join(' · ')
                : [
                    str(d.reason),
                    t('timeline.couponExpires', { date: str(d.expires_at)?.slice(0, 10) ?? '' }),
                  ]
                    .filter(Boolean)
                    .join(' · ')}
            </Text>
          ),
        };
      }
      default:
        return { icon: IconBolt, color: 'gray', title: humanize(`${item.kind} ${item.type}`) };
    }
  };
}
