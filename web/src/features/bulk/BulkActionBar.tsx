import { Button, Menu } from '@mantine/core';
import {
  IconArchive,
  IconArchiveOff,
  IconBookmark,
  IconChevronDown,
  IconDownload,
  IconEdit,
  IconForms,
  IconSend,
  IconTag,
  IconTagOff,
  IconTicket,
  IconTrash,
  IconUserCheck,
} from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { BULK_MIN_ROLE, type BulkActionName, type BulkSelection } from '../../api/bulk';
import { useMe } from '../../api/me';
import { hasRole } from '../../lib/roles';
import { BulkDialog } from './BulkDialog';

const ICONS: Record<BulkActionName, typeof IconTag> = {
  add_tags: IconTag,
  remove_tags: IconTagOff,
  set_label: IconBookmark,
  set_field: IconEdit,
  set_custom_field: IconForms,
  assign_manager: IconUserCheck,
  send: IconSend,
  export: IconDownload,
  coupons: IconTicket,
  archive: IconArchive,
  unarchive: IconArchiveOff,
  delete: IconTrash,
};

const GROUPS: BulkActionName[][] = [
  ['add_tags', 'remove_tags', 'set_label', 'set_field', 'set_custom_field', 'assign_manager'],
  ['send', 'coupons', 'export'],
  ['archive', 'delete'],
];

/** Archived clients are out of every other action: they can be exported, restored or deleted. */
const ARCHIVED_GROUPS: BulkActionName[][] = [['export'], ['unarchive', 'delete']];

/**
 * "Actions ▾" for a selection (the rows ticked, all N matching, or a segment): every bulk action
 * the person's role allows, each opening its dialog with the exact count, progress and result.
 */
export function BulkActionBar({
  selection,
  size = 'compact-sm',
  archived = false,
}: {
  selection: BulkSelection;
  size?: string;
  /** The selection is of the Archived view. */
  archived?: boolean;
}) {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const [open, setOpen] = useState<BulkActionName | null>(null);
  const allowed = (archived ? ARCHIVED_GROUPS : GROUPS)
    .map((group) => group.filter((action) => hasRole(me?.role, BULK_MIN_ROLE[action])))
    .filter((group) => group.length);
  if (!allowed.length) return null;
  return (
    <>
      <Menu position="bottom-start" withinPortal>
        <Menu.Target>
          <Button
            size={size}
            variant="filled"
            rightSection={<IconChevronDown size={14} aria-hidden />}
            data-testid="bulk-actions"
          >
            {t('bulk.actions')}
          </Button>
        </Menu.Target>
        <Menu.Dropdown>
          {allowed.map((group, i) => [
            i > 0 ? <Menu.Divider key={`d${group[0]}`} /> : null,
            ...group.map((action) => {
              const Icon = ICONS[action];
              return (
                <Menu.Item
                  key={action}
                  color={action === 'delete' ? 'red' : undefined}
                  leftSection={<Icon size={16} aria-hidden />}
                  onClick={() => setOpen(action)}
                >
                  {t(`bulk.action.${action}`)}
                </Menu.Item>
              );
            }),
          ])}
        </Menu.Dropdown>
      </Menu>
      {open ? <BulkDialog action={open} selection={selection} onClose={() => setOpen(null)} /> : null}
    </>
  );
}
