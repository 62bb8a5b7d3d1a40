import { Grid, Skeleton, Stack } from '@mantine/core';

/** The builder's outline while it (or the segment) loads. */
export function EditorSkeleton() {
  return (
    <Stack gap="md" aria-busy>
      <Skeleton height={14} width={110} />
      <Skeleton height={34} width={320} />
      <Grid gap="md">
        <Grid.Col span={{ base: 12, lg: 8 }}>
          <Stack gap="md">
            <Skeleton height={96} radius="md" />
            <Skeleton height={200} radius="md" />
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 4 }}>
          <Skeleton height={220} radius="md" />
        </Grid.Col>
      </Grid>
      <Skeleton height={180} radius="md" />
    </Stack>
  );
}
