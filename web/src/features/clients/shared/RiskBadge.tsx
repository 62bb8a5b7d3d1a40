import { Badge, Text, Tooltip } from '@mantine/core';
import { IconHandStop } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { Client } from '../../../api/clients';
import { RISK_COLORS, riskLevel } from './format';

/** Churn risk 0–100 colored by level; a hand-set score says so and why. */
export function RiskBadge({
  client,
  size = 'sm',
  compact = false,
}: {
  client: Pick<Client, 'risk_score' | 'risk_override'>;
  size?: 'sm' | 'md' | 'lg';
  /** Only the number (lists); the level stays in the color, the tooltip and the accessible name. */
  compact?: boolean;
}) {
  const { t } = useTranslation();
  const score = client.risk_override?.score ?? client.risk_score;
  if (score === null || score === undefined) {
    return (
      <Tooltip label={t('clients.risk.unknownHelp')} withArrow multiline w={240}>
        <Text size="sm" c="dimmed" span tabIndex={0} aria-label={t('clients.risk.unknown')}>
          —
        </Text>
      </Tooltip>
    );
  }
  const level = riskLevel(score);
  const label = t('clients.risk.label', { score, level: t(`clients.risk.levels.${level}`) });
  const override = client.risk_override;
  const badge = (
    <Badge
      color={RISK_COLORS[level]}
      variant="light"
      size={size}
      radius="sm"
      tt="none"
      leftSection={override ? <IconHandStop size={12} aria-hidden /> : undefined}
      aria-label={override ? `${label}. ${t('clients.risk.overridden')}` : label}
      style={{ whiteSpace: 'nowrap', minWidth: 'max-content' }}
    >
      {compact ? score : `${score} · ${t(`clients.risk.levels.${level}`)}`}
    </Badge>
  );
  if (!override && !compact) return badge;
  return (
    <Tooltip
      label={override ? t('clients.risk.overrideTooltip', { reason: override.reason ?? '—' }) : label}
      withArrow
      multiline
      maw={260}
    >
      {badge}
    </Tooltip>
  );
}
