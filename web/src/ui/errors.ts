import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import { isApiError } from '../api/client';

const KNOWN_CODES = ['RATE_LIMITED', 'LAST_OWNER', 'EMAIL_TAKEN', 'NETWORK'] as const;
type KnownCode = (typeof KNOWN_CODES)[number];

function isKnownCode(code: string): code is KnownCode {
  return (KNOWN_CODES as readonly string[]).includes(code);
}

/** Turns any thrown error into one sentence for the user, translated when we know the code. */
export function useErrorMessage() {
  const { t } = useTranslation();
  return useCallback(
    (error: unknown): string => {
      if (!isApiError(error)) return t('errors.generic');
      if (isKnownCode(error.code)) return t(`errors.codes.${error.code}`);
      if (error.status === 429) return t('errors.codes.RATE_LIMITED');
      if (error.status === 403) return t('errors.forbidden');
      if (error.status === 401) return t('errors.signedOut');
      return error.message || t('errors.generic');
    },
    [t],
  );
}
