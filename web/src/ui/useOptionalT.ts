import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';

/** Translate a key built at runtime (e.g. from a server code), or fall back when we have no text for it. */
export function useOptionalT() {
  const { t, i18n } = useTranslation();
  return useCallback(
    (key: string, fallback: string): string => {
      if (!i18n.exists(key)) return fallback;
      const translate = t as unknown as (key: string) => string;
      return translate(key);
    },
    [t, i18n],
  );
}
