import { Select } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { type Channel, useChannels, useWhatsappTemplates } from '../../api/channels';

/**
 * The approved templates synced from each Meta WhatsApp channel, to pick from instead of typing a
 * name: only approved ones can be sent outside the 24-hour window, so only those are offered.
 */
export function ApprovedTemplatePickers(props: {
  value: { name: string; language: string };
  onPick: (picked: { name: string; language: string }) => void;
  disabled?: boolean;
}) {
  const channels = useChannels();
  const meta = (channels.data ?? []).filter((c) => c.provider === 'meta_whatsapp');
  return (
    <>
      {meta.map((channel) => (
        <ChannelTemplates key={channel.id} channel={channel} {...props} />
      ))}
    </>
  );
}

function ChannelTemplates({
  channel,
  value,
  onPick,
  disabled,
}: {
  channel: Channel;
  value: { name: string; language: string };
  onPick: (picked: { name: string; language: string }) => void;
  disabled?: boolean;
}) {
  const { t } = useTranslation();
  const templates = useWhatsappTemplates(channel.id, true);
  const approved = (templates.data ?? []).filter((tpl) => tpl.status.toUpperCase() === 'APPROVED');
  const key = (name: string, language: string) => `${name}\u0000${language}`;
  return (
    <Select
      label={t('templates.approvedPicker', { channel: channel.name })}
      placeholder={approved.length ? t('templates.approvedPlaceholder') : t('templates.approvedNone')}
      data={approved.map((tpl) => ({
        value: key(tpl.name, tpl.language),
        label: `${tpl.name} (${tpl.language})`,
      }))}
      value={
        approved.some((tpl) => tpl.name === value.name && tpl.language === value.language)
          ? key(value.name, value.language)
          : null
      }
      onChange={(picked) => {
        const found = approved.find((tpl) => key(tpl.name, tpl.language) === picked);
        if (found) onPick({ name: found.name, language: found.language });
      }}
      disabled={disabled || !approved.length}
      searchable
      clearable={false}
    />
  );
}
