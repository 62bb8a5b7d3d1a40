import { Alert, Anchor, Card, Text } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { failReasonOf } from '../../../../src/modules/campaigns/campaigns.reasons.ts';
import type { AudienceSnapshot } from '../../api/campaigns';
import { useDescribe } from '../segments/builder/editing';

/** "/all/0/field: custom field 'tier' is archived; …" without the JSON paths the API gives. */
function withoutPaths(detail: string): string {
  return detail
    .split('; ')
    .map((part) => part.replace(/^\/[^:]*: /, ''))
    .join('; ');
}

/**
 * Why a campaign could not run, in the user's language, with what to do: each reason names the
 * thing to fix and where, then "send again" (the page's button) or duplicate.
 */
export function FailedReason({ reason, canSendAgain }: { reason: string; canSendAgain: boolean }) {
  const { t } = useTranslation();
  const known = failReasonOf(reason);
  const next = canSendAgain ? t('campaigns.failed.thenSendAgain') : t('campaigns.failed.thenDuplicate');
  const link = (to: string, label: string) => (
    <Anchor component={Link} to={to}>
      {label}
    </Anchor>
  );
  return (
    <Alert
      color="red"
      mb="md"
      icon={<IconAlertTriangle size={18} />}
      title={t('campaigns.failed.title')}
      data-testid="status-reason"
    >
      {known?.kind === 'segment_gone' ? (
        <>
          {t('campaigns.failed.segmentGone', { name: known.detail })} {next}{' '}
          {link('/segments', t('campaigns.failed.openSegments'))}
        </>
      ) : known?.kind === 'audience_invalid' ? (
        <>
          {t('campaigns.failed.audienceInvalid', { detail: withoutPaths(known.detail) })} {next}
        </>
      ) : known?.kind === 'channel_gone' ? (
        <>
          {t('campaigns.failed.channelGone')} {next}{' '}
          {link('/settings/channels', t('campaigns.page.reason.openChannels'))}
        </>
      ) : known?.kind === 'template_gone' ? (
        <>
          {t('campaigns.failed.templateGone')} {next}
        </>
      ) : (
        <>
          {t('campaigns.failed.other', { detail: known?.detail ?? reason })} {next}
        </>
      )}
    </Alert>
  );
}

/** "Audience as sent": who the campaign was meant for when its recipients were fixed, as one sentence. */
export function AudienceAsSent({ snapshot }: { snapshot: AudienceSnapshot }) {
  const { t } = useTranslation();
  const describe = useDescribe();
  let sentence: string;
  if (snapshot.kind === 'client_ids')
    sentence = t('campaigns.audienceAsSent.list', { count: snapshot.count });
  else if (snapshot.kind === 'definition') sentence = describe(snapshot.definition);
  else if (snapshot.segment_kind === 'static' || !snapshot.definition)
    sentence = t('campaigns.audienceAsSent.staticSegment', {
      name: snapshot.segment_name,
      count: snapshot.count,
    });
  else
    sentence = t('campaigns.audienceAsSent.segment', {
      name: snapshot.segment_name,
      sentence: describe(snapshot.definition),
    });
  return (
    <Card withBorder mb="md" data-testid="audience-as-sent">
      <Text size="sm">
        <Text span fw={600}>
          {t('campaigns.audienceAsSent.label')}
        </Text>{' '}
        {sentence}
      </Text>
      {snapshot.kind !== 'client_ids' ? (
        <Text size="xs" c="dimmed" mt={4}>
          {t('campaigns.audienceAsSent.count', { count: snapshot.count })}
        </Text>
      ) : null}
    </Card>
  );
}
