import { ActionIcon, Button, Kbd, Menu, Text, Tooltip } from '@mantine/core';
import { IconBraces } from '@tabler/icons-react';
import { type KeyboardEvent, type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type TemplateVariable, useTemplateVariables } from '../../api/templates';

/** Ctrl+Space (Control on every platform, as in code editors) opens the picker from a field. */
export function isPickerHotkey(
  event: Pick<KeyboardEvent, 'ctrlKey' | 'altKey' | 'metaKey' | 'code' | 'key'>,
) {
  return event.ctrlKey && !event.altKey && !event.metaKey && (event.code === 'Space' || event.key === ' ');
}

/** The field's value with `snippet` in place of its selection, and where the caret goes after it. */
export function insertAtCursor(
  field: HTMLInputElement | HTMLTextAreaElement | null,
  value: string,
  snippet: string,
): { value: string; caret: number } {
  const start = field?.selectionStart ?? value.length;
  const end = field?.selectionEnd ?? value.length;
  return { value: value.slice(0, start) + snippet + value.slice(end), caret: start + snippet.length };
}

/**
 * Puts the caret back after the inserted variable. After the menu's own focus return (10 ms after
 * it closes, to the button or the field that opened it), so the field keeps the focus.
 */
export function focusAfterInsert(field: HTMLInputElement | HTMLTextAreaElement | null, caret: number) {
  refocusAfterPick(() => {
    field?.focus();
    field?.setSelectionRange(caret, caret);
  }, field);
}

/**
 * Gives the focus (and the caret) back to `field`, where a variable went, once the menu has handed
 * the focus back (30 ms later), unless the user has moved on meanwhile: typing in another field
 * must keep it (a late refocus closed the client picker's list under a fast typist, and under CI
 * load). Still with the picker, nowhere, or in the field itself: refocused.
 */
export function refocusAfterPick(refocus: () => void, field: Element | null) {
  window.setTimeout(() => {
    const active = document.activeElement;
    if (
      !active ||
      active === document.body ||
      active.closest('[data-variable-picker]') ||
      (field && (field === active || field.contains(active)))
    )
      refocus();
  }, 30);
}

/**
 * "Insert variable": the variables the server's renderer fills (GET /templates/variables), grouped
 * (client, the workspace's custom fields, location, sender, coupon, dates, links), with a search
 * box. Keyboard: Enter/Space on the button or Ctrl+Space in a field opens it, typing filters,
 * arrow keys move, Enter picks, Escape closes. The caller inserts `variable.insert` (or uses
 * `variable.path` for a WhatsApp parameter).
 */
export function VariablePicker(props: {
  onPick(variable: TemplateVariable): void;
  opened?: boolean;
  onOpenedChange?(opened: boolean): void;
  disabled?: boolean;
  /** A small icon button (a WhatsApp parameter) instead of the labelled one. */
  compact?: boolean;
  /** The accessible name of a compact button. */
  label?: string;
}) {
  const { t } = useTranslation();
  const variables = useTemplateVariables();
  const [own, setOwn] = useState(false);
  const opened = props.opened ?? own;
  const setOpened = props.onOpenedChange ?? setOwn;
  const [query, setQuery] = useState('');
  const help = (v: TemplateVariable) =>
    v.label ?? t(`templates.variableHelp.${v.path.replaceAll('.', '_')}`, { defaultValue: '' });
  const needle = query.trim().toLowerCase();
  const groups = (variables.data ?? []).map((g) => ({
    ...g,
    variables: g.variables.filter(
      (v) => !needle || v.path.toLowerCase().includes(needle) || help(v).toLowerCase().includes(needle),
    ),
  }));
  const found = groups.some((g) => g.variables.length);
  const label = props.label ?? t('templates.insertVariable');

  let items: ReactNode[] = [];
  for (const g of groups) {
    if (!g.variables.length && !(g.group === 'custom_fields' && !needle)) continue;
    items.push(<Menu.Label key={`label-${g.group}`}>{t(`templates.variableGroups.${g.group}`)}</Menu.Label>);
    if (!g.variables.length)
      items.push(
        <Text key="no-custom" size="xs" c="dimmed" px="sm" pb={6} data-testid="variables-no-custom-fields">
          {t('templates.noCustomFields')}
        </Text>,
      );
    items = items.concat(
      g.variables.map((v) => (
        <Menu.Item key={v.path} onClick={() => props.onPick(v)} data-variable={v.path}>
          <Text size="sm" ff="monospace">
            {v.insert}
          </Text>
          <Text size="xs" c="dimmed">
            {help(v)}
          </Text>
        </Menu.Item>
      )),
    );
  }

  return (
    <Menu
      shadow="md"
      width={320}
      position="bottom-end"
      withinPortal
      opened={opened}
      onChange={(next) => {
        setOpened(next);
        if (!next) setQuery('');
      }}
      disabled={props.disabled}
    >
      <Menu.Target>
        {props.compact ? (
          <Tooltip label={label}>
            <ActionIcon
              variant="light"
              size="lg"
              aria-label={label}
              disabled={props.disabled}
              data-variable-picker
            >
              <IconBraces size={16} />
            </ActionIcon>
          </Tooltip>
        ) : (
          <Button
            variant="light"
            size="xs"
            data-variable-picker
            leftSection={<IconBraces size={14} />}
            rightSection={<Kbd size="xs">Ctrl+Space</Kbd>}
            disabled={props.disabled}
            style={{ flexShrink: 0 }}
          >
            {label}
          </Button>
        )}
      </Menu.Target>
      <Menu.Dropdown data-testid="variable-picker" data-variable-picker>
        <Menu.Search
          aria-label={t('templates.searchVariables')}
          placeholder={t('templates.searchVariables')}
          value={query}
          onChange={(e) => setQuery(e.currentTarget.value)}
        />
        <div style={{ maxHeight: 340, overflowY: 'auto' }}>
          {variables.isPending ? (
            <Text size="sm" c="dimmed" p="sm">
              {t('templates.loadingVariables')}
            </Text>
          ) : found || !needle ? (
            items
          ) : (
            <Text size="sm" c="dimmed" p="sm">
              {t('templates.noVariableFound')}
            </Text>
          )}
        </div>
      </Menu.Dropdown>
    </Menu>
  );
}
