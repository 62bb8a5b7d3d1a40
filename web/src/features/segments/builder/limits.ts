import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import { SEGMENT_LIMITS } from '../../../api/segments';
import type { LimitReason } from '../model';

/** The sentence that says why a limit stops an action, or null. */
export function useLimitText() {
  const { t } = useTranslation();
  return useCallback(
    (reason: LimitReason): string | null => {
      switch (reason) {
        case 'depth':
          return t('segments.limits.depth', { count: SEGMENT_LIMITS.depth });
        case 'conditions':
          return t('segments.limits.conditions', { count: SEGMENT_LIMITS.conditions });
        case 'children':
          return t('segments.limits.children', { count: SEGMENT_LIMITS.children });
        default:
          return null;
      }
    },
    [t],
  );
}
