import { Badge, Group, Text, Tooltip } from '@mantine/core';
import { useTagColors } from '../../../api/tags';

/** A client's tags in their workspace colors; the rest counted ("+2") with their names in a tooltip. */
export function TagChips({ tags, max = 3 }: { tags: string[]; max?: number }) {
  const colorOf = useTagColors();
  if (!tags.length) return null;
  const hidden = tags.slice(max);
  return (
    <Group gap={4} wrap="nowrap">
      {tags.slice(0, max).map((tag) => (
        <Badge
          key={tag}
          size="sm"
          variant="light"
          color={colorOf(tag)}
          radius="sm"
          tt="none"
          style={{ flexShrink: 0 }}
          maw={90}
        >
          {tag}
        </Badge>
      ))}
      {hidden.length ? (
        <Tooltip label={hidden.join(', ')} withArrow multiline maw={260}>
          <Text size="xs" c="dimmed" tabIndex={0}>
            +{hidden.length}
          </Text>
        </Tooltip>
      ) : null}
    </Group>
  );
}
