// The server's own printer (a pure module, no I/O): the dashboard writes exactly the canonical text the
// API's parser reads back, live as the tree changes, without a request per keystroke.
import { printSegmentQuery, simplifySegment } from '../../../../src/modules/segments/query-syntax';
import type { SegmentNode } from '../../api/segments';

/** The one-line query of a tree, or null when the syntax can't say it exactly. */
export function queryText(definition: SegmentNode): string | null {
  try {
    const printed = printSegmentQuery(simplifySegment(definition as never) as never);
    return printed.ok ? printed.text : null;
  } catch {
    return null;
  }
}
