import { ActionIcon, Badge, Box, Group, Menu, Select, Stack, Text, Tooltip } from '@mantine/core';
import {
  IconAlertTriangle,
  IconCopy,
  IconDots,
  IconFolderPlus,
  IconTrash,
  IconX,
  IconZoomExclamation,
} from '@tabler/icons-react';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { FieldOp } from '../../../api/segments';
import { pickerValue, unknownField } from '../fields';
import {
  type ConditionDraft,
  convertValue,
  type EditorCondition,
  findParent,
  isComplete,
  negateLimit,
  opsFor,
  wrapLimit,
} from '../model';
import classes from './builder.module.css';
import { useBuilder } from './context';
import { EngagementFields, EventFields } from './EventFields';
import { FieldPicker } from './FieldPicker';
import { useLimitText } from './limits';
import { ValueInput } from './ValueInput';

/** One condition: what it is about, how it compares, the value; its menu negates, copies or groups it. */
export function ConditionRow({ node }: { node: EditorCondition }) {
  const { t } = useTranslation();
  const builder = useBuilder();
  const { catalog, actions, readOnly } = builder;
  const limitText = useLimitText();
  const pickerRef = useRef<HTMLInputElement>(null);
  const draft = node.condition;
  const nodeErrors = builder.errors.get(node.id) ?? [];
  const byPart: Record<string, string> = {};
  const general: string[] = [];
  const between = draft.type === 'field' && draft.op === 'between';
  for (const error of nodeErrors) {
    const inline =
      INLINE_PARTS.has(error.part) ||
      error.part.startsWith('properties/') ||
      (between && /^value\/[01]$/.test(error.part));
    if (inline && !(error.part in byPart)) byPart[error.part] = error.message;
    else general.push(error.message);
  }
  const skipped = builder.skipped.has(node.id);
  const showEmpty = builder.showIncomplete && !isComplete(draft);

  const { focusId, onFocused } = builder;
  useEffect(() => {
    if (focusId === node.id) {
      pickerRef.current?.focus();
      onFocused();
    }
  }, [focusId, onFocused, node.id]);

  const setDraft = (condition: ConditionDraft) =>
    actions.update(node.id, (current) =>
      current.kind === 'condition' ? { ...current, condition } : current,
    );

  const parent = findParent(builder.root, node.id);
  const negateReason = limitText(negateLimit(builder.root, node));
  const wrapReason = limitText(wrapLimit(builder.root, node));

  let body: React.ReactNode = null;
  if (draft.type === 'field' && draft.field) {
    const info = catalog.byKey.get(draft.field) ?? unknownField(draft.field);
    const ops = opsFor(info.type) as readonly string[];
    const op = draft.op && ops.includes(draft.op) ? draft.op : null;
    body = info.unknown ? (
      <Group gap={6} style={{ flex: '1 1 240px' }}>
        <IconZoomExclamation size={18} color="var(--mantine-color-orange-6)" aria-hidden />
        <Text size="sm" c="orange">
          {t('segments.builder.unknownField')}
        </Text>
      </Group>
    ) : (
      <>
        <Select
          aria-label={t('segments.builder.operator')}
          data={ops.map((value) => ({ value, label: t(`segments.ops.${value as FieldOp}`) }))}
          value={op}
          onChange={(next) => {
            if (!next) return;
            const to = next as FieldOp;
            setDraft({ ...draft, op: to, value: convertValue(info.type, draft.op, to, draft.value) });
          }}
          allowDeselect={false}
          readOnly={readOnly}
          error={byPart.op}
          w={{ base: '100%', xs: 155 }}
          comboboxProps={{ width: 220, position: 'bottom-start' }}
        />
        {op ? (
          <ValueInput
            field={info}
            op={op as FieldOp}
            value={draft.value}
            onChange={(value) => setDraft({ ...draft, value })}
            tags={catalog.tags}
            errors={byPart}
            showEmpty={showEmpty}
            readOnly={readOnly}
          />
        ) : null}
      </>
    );
  } else if (draft.type === 'event') {
    body = (
      <EventFields draft={draft} onChange={setDraft} catalog={catalog} errors={byPart} readOnly={readOnly} />
    );
  } else if (draft.type === 'engagement') {
    body = <EngagementFields draft={draft} onChange={setDraft} errors={byPart} readOnly={readOnly} />;
  }

  const fieldError =
    byPart.field ??
    (showEmpty && draft.type === 'field' && !draft.field ? t('segments.builder.fieldRequired') : undefined);

  return (
    <Box
      className={classes.condition}
      data-negated={node.negated || undefined}
      data-invalid={nodeErrors.length ? true : undefined}
      data-testid="segment-condition"
      role="group"
      aria-label={t('segments.builder.conditionLabel')}
    >
      <Group gap="xs" align="flex-start" wrap="nowrap">
        {node.negated ? (
          <Tooltip label={t('segments.builder.notHint')} withArrow>
            <Badge color="red" variant="light" mt={6} radius="sm" style={{ flexShrink: 0 }}>
              {t('segments.builder.not')}
            </Badge>
          </Tooltip>
        ) : null}
        <Group gap="xs" align="flex-start" wrap="wrap" style={{ flex: 1, minWidth: 0 }}>
          <FieldPicker
            ref={pickerRef}
            catalog={catalog}
            value={pickerValue(draft)}
            draft={draft}
            onChange={setDraft}
            error={fieldError}
            readOnly={readOnly}
          />
          {body}
        </Group>
        {readOnly ? null : (
          <Group gap={2} wrap="nowrap" mt={3} style={{ flexShrink: 0 }}>
            <Menu position="bottom-end" withinPortal>
              <Menu.Target>
                <ActionIcon variant="subtle" color="gray" aria-label={t('segments.builder.conditionMenu')}>
                  <IconDots size={18} aria-hidden />
                </ActionIcon>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Item
                  leftSection={<IconX size={16} aria-hidden />}
                  disabled={Boolean(negateReason)}
                  title={negateReason ?? undefined}
                  onClick={() => actions.toggleNegation(node.id)}
                >
                  {node.negated ? t('segments.builder.removeNot') : t('segments.builder.addNot')}
                </Menu.Item>
                <Menu.Item
                  leftSection={<IconCopy size={16} aria-hidden />}
                  disabled={Boolean(limitText(parent && parent.children.length >= 50 ? 'children' : null))}
                  onClick={() => actions.duplicate(node.id)}
                >
                  {t('segments.builder.duplicate')}
                </Menu.Item>
                <Menu.Item
                  leftSection={<IconFolderPlus size={16} aria-hidden />}
                  disabled={Boolean(wrapReason)}
                  title={wrapReason ?? undefined}
                  onClick={() => actions.wrap(node.id)}
                >
                  {t('segments.builder.wrap')}
                </Menu.Item>
                <Menu.Divider />
                <Menu.Item
                  color="red"
                  leftSection={<IconTrash size={16} aria-hidden />}
                  onClick={() => actions.remove(node.id)}
                >
                  {t('segments.builder.removeCondition')}
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
            <Tooltip label={t('segments.builder.removeCondition')} withArrow openDelay={300}>
              <ActionIcon
                variant="subtle"
                color="gray"
                aria-label={t('segments.builder.removeCondition')}
                onClick={() => actions.remove(node.id)}
              >
                <IconX size={18} aria-hidden />
              </ActionIcon>
            </Tooltip>
          </Group>
        )}
      </Group>
      {general.length || (skipped && !showEmpty && hasStarted(draft)) ? (
        <Stack gap={2} mt={6}>
          {general.map((message) => (
            <Group key={message} gap={6} wrap="nowrap">
              <IconAlertTriangle size={14} color="var(--mantine-color-red-6)" aria-hidden />
              <Text size="xs" c="red">
                {message}
              </Text>
            </Group>
          ))}
          {skipped && !general.length ? (
            <Text size="xs" c="dimmed">
              {t('segments.builder.notCountedYet')}
            </Text>
          ) : null}
        </Stack>
      ) : null}
    </Box>
  );
}

/** Parts of a condition whose messages show under their own input; the others show under the row. */
const INLINE_PARTS = new Set([
  'field',
  'op',
  'value',
  'event',
  'measure',
  'within_days',
  'location_id',
  'engagement',
  'channel',
  'campaign_id',
]);

/** A condition someone has begun (a field chosen): worth a "not counted yet" hint when unfinished. */
function hasStarted(draft: ConditionDraft): boolean {
  return draft.type !== 'field' || Boolean(draft.field);
}
