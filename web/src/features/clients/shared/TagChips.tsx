import { Badge, Group, Text, Tooltip } from '@mantine/core';
import { useTagColors } from '../../../api/tags';

/** A client's tags in their workspace colors; the rest counted ("+2") with their names in a tooltip. */
export function TagChips({
  tags,
  max = 3,
  budget = Infinity,
}: {
  tags: string[];
  max?: number;
  budget?: number;
}) {
  const colorOf = useTagColors();
  if (!tags.length) return null;
  // Never more than `max` items in a row: with too many tags, the last place goes to the "+N" counter.
  let shown = tags.length > max ? Math.max(1, max - 1) : max;
  // Keep the row narrow: stop adding chips once their names pass `budget` characters (the first always shows).
  let used = 0;
  for (let index = 0; index < Math.min(shown, tags.length); index++) {
    used += tags[index]!.length;
    if (index > 0 && used > budget) {
      shown = index;
      break;
    }
  }
  const hidden = tags.slice(shown);
  return (
    <Group gap={4} wrap="nowrap">
      {tags.slice(0, shown).map((tag) => (
        <Badge
          key={tag}
          size="sm"
          variant="light"
          color={colorOf(tag)}
          radius="sm"
          tt="none"
          style={{ flexShrink: 0, minWidth: 'max-content' }}
        >
          {tag}
        </Badge>
      ))}
      {hidden.length ? (
        <Tooltip label={hidden.join(', ')} withArrow multiline maw={260}>
          <Text
            size="xs"
            c="dimmed"
            tabIndex={0}
            style={{ flexShrink: 0 }}
            aria-label={`+${hidden.length}: ${hidden.join(', ')}`}
          >
            +{hidden.length}
          </Text>
        </Tooltip>
      ) : null}
    </Group>
  );
}
