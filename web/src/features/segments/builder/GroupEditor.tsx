import { ActionIcon, Box, Group, Menu, Select, Stack, Text } from '@mantine/core';
import { IconCopy, IconDots, IconFolderPlus, IconPlus, IconTrash, IconX } from '@tabler/icons-react';
import { Fragment } from 'react';
import { useTranslation } from 'react-i18next';
import { addLimit, type EditorGroup, negateLimit, wrapLimit } from '../model';
import classes from './builder.module.css';
import { ConditionRow } from './ConditionRow';
import { type GroupChoice, useBuilder } from './context';
import { useLimitText } from './limits';
import { ReasonButton } from './ReasonButton';

function choiceOf(group: EditorGroup): GroupChoice {
  if (group.negated) return group.mode === 'any' ? 'none' : 'notall';
  return group.mode;
}

/** A group of conditions and groups combined by all / any / none / not all, with its add buttons. */
export function GroupEditor({ group, level = 1 }: { group: EditorGroup; level?: number }) {
  const { t } = useTranslation();
  const builder = useBuilder();
  const { actions, readOnly, root } = builder;
  const limitText = useLimitText();
  const isRoot = group.id === root.id;
  const choice = choiceOf(group);
  const joiner = group.mode === 'all' ? t('segments.builder.and') : t('segments.builder.or');
  const errors = builder.errors.get(group.id) ?? [];
  const conditionReason = limitText(addLimit(root, group, 'condition'));
  const groupReason = limitText(addLimit(root, group, 'group'));
  const negateReason = limitText(negateLimit(root, { ...group, negated: false }));
  const wrapReason = limitText(wrapLimit(root, group));

  const choices: GroupChoice[] = ['all', 'any', 'none', 'notall'];
  const setChoice = (next: GroupChoice) => {
    if ((next === 'none' || next === 'notall') && !group.negated && negateReason) return;
    actions.update(group.id, (node) =>
      node.kind === 'group'
        ? {
            ...node,
            mode: next === 'any' || next === 'none' ? 'any' : 'all',
            negated: next === 'none' || next === 'notall',
          }
        : node,
    );
  };

  return (
    <Box
      className={classes.group}
      data-root={isRoot || undefined}
      data-level={level}
      data-negated={group.negated || undefined}
      data-invalid={errors.length ? true : undefined}
      role="group"
      aria-label={isRoot ? t('segments.builder.conditions') : t('segments.builder.groupLabel')}
      data-testid={isRoot ? 'segment-root' : 'segment-group'}
    >
      <Group justify="space-between" gap="xs" mb="xs" wrap="nowrap">
        <Group gap="xs" wrap="wrap" style={{ minWidth: 0 }}>
          {isRoot ? (
            <Text size="sm" fw={600}>
              {t('segments.builder.clientsWhoMatch')}
            </Text>
          ) : null}
          <Select
            aria-label={t('segments.builder.combine')}
            data={choices.map((value) => ({
              value,
              label: t(`segments.builder.modes.${value}`),
              disabled: (value === 'none' || value === 'notall') && !group.negated && Boolean(negateReason),
            }))}
            value={choice}
            onChange={(next) => next && setChoice(next as GroupChoice)}
            allowDeselect={false}
            readOnly={readOnly}
            size="sm"
            w={260}
            styles={{ input: { fontWeight: 600 } }}
          />
        </Group>
        {isRoot || readOnly ? null : (
          <Menu position="bottom-end" withinPortal>
            <Menu.Target>
              <ActionIcon variant="subtle" color="gray" aria-label={t('segments.builder.groupMenu')}>
                <IconDots size={18} aria-hidden />
              </ActionIcon>
            </Menu.Target>
            <Menu.Dropdown>
              <Menu.Item
                leftSection={<IconCopy size={16} aria-hidden />}
                onClick={() => actions.duplicate(group.id)}
              >
                {t('segments.builder.duplicateGroup')}
              </Menu.Item>
              <Menu.Item
                leftSection={<IconFolderPlus size={16} aria-hidden />}
                disabled={Boolean(wrapReason)}
                title={wrapReason ?? undefined}
                onClick={() => actions.wrap(group.id)}
              >
                {t('segments.builder.wrap')}
              </Menu.Item>
              <Menu.Divider />
              <Menu.Item
                color="red"
                leftSection={<IconTrash size={16} aria-hidden />}
                onClick={() => actions.remove(group.id)}
              >
                {t('segments.builder.removeGroup')}
              </Menu.Item>
            </Menu.Dropdown>
          </Menu>
        )}
        {isRoot || readOnly ? null : (
          <ActionIcon
            variant="subtle"
            color="gray"
            aria-label={t('segments.builder.removeGroup')}
            onClick={() => actions.remove(group.id)}
            style={{ flexShrink: 0 }}
          >
            <IconX size={18} aria-hidden />
          </ActionIcon>
        )}
      </Group>

      {errors.map((error) => (
        <Text key={error.message} size="xs" c="red" mb="xs">
          {error.message}
        </Text>
      ))}

      <Stack gap={6}>
        {group.children.map((child, index) => (
          <Fragment key={child.id}>
            {index > 0 ? (
              <div className={classes.connector} aria-hidden>
                {joiner}
              </div>
            ) : null}
            {child.kind === 'group' ? (
              <GroupEditor group={child} level={level + 1} />
            ) : (
              <ConditionRow node={child} />
            )}
          </Fragment>
        ))}
        {!group.children.length && !isRoot ? (
          <Text size="sm" c="dimmed">
            {t('segments.builder.emptyGroup')}
          </Text>
        ) : null}
      </Stack>

      {readOnly ? null : (
        <Group gap="xs" mt="sm">
          <ReasonButton
            variant="light"
            size="xs"
            leftSection={<IconPlus size={14} aria-hidden />}
            reason={conditionReason}
            onClick={() => actions.addCondition(group.id)}
          >
            {t('segments.builder.addCondition')}
          </ReasonButton>
          <ReasonButton
            variant="subtle"
            size="xs"
            leftSection={<IconFolderPlus size={14} aria-hidden />}
            reason={groupReason}
            onClick={() => actions.addGroup(group.id)}
          >
            {t('segments.builder.addGroup')}
          </ReasonButton>
        </Group>
      )}
    </Box>
  );
}
