import { lazy, Suspense } from 'react';
import { EditorSkeleton } from './EditorSkeleton';

// The builder (its field pickers, date inputs, query printer and sentence maker) loads when first opened.
const SegmentEditor = lazy(() => import('./SegmentEditor'));

/** /segments/new and /segments/:id. */
export function SegmentBuilderPage() {
  return (
    <Suspense fallback={<EditorSkeleton />}>
      <SegmentEditor />
    </Suspense>
  );
}
