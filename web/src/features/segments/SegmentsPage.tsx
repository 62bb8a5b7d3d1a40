import { Skeleton, Stack } from '@mantine/core';
import { lazy, Suspense } from 'react';

// The manager and its sparklines load when Segments is first opened.
const SegmentList = lazy(() => import('./SegmentList'));

/** /segments: the segment manager. */
export function SegmentsPage() {
  return (
    <Suspense
      fallback={
        <Stack gap="md" aria-busy>
          <Skeleton height={34} width={240} />
          <Skeleton height={18} width={480} />
          <Skeleton height={320} radius="md" />
        </Stack>
      }
    >
      <SegmentList />
    </Suspense>
  );
}
