import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { useWorkspace } from '../../../api/workspace';

function numberLocale(locale: string, country: string | undefined): string {
  try {
    const tag = country ? `${locale}-${country}` : locale;
    return Intl.NumberFormat.supportedLocalesOf([tag]).length ? tag : locale;
  } catch {
    return locale;
  }
}

/**
 * Money in the workspace's own number format (its language and country, e.g. 1.234,50 for es-ES), two
 * decimals and no currency: a workspace may be paid in several. Other numbers follow the reader's language.
 */
export function useFormatters() {
  const { i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'en';
  const { data: workspace } = useWorkspace();
  const moneyLocale = workspace
    ? numberLocale(workspace.default_locale, workspace.default_country)
    : language;
  return useMemo(() => {
    const money = new Intl.NumberFormat(moneyLocale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    const number = new Intl.NumberFormat(language, { maximumFractionDigits: 2 });
    return {
      language,
      money: (value: number) => money.format(value),
      number: (value: number) => number.format(value),
      currency: (value: number, currency: string | null | undefined) => {
        if (!currency) return money.format(value);
        try {
          return new Intl.NumberFormat(moneyLocale, { style: 'currency', currency }).format(value);
        } catch {
          return `${money.format(value)} ${currency}`;
        }
      },
    };
  }, [language, moneyLocale]);
}

export type RiskLevel = 'low' | 'medium' | 'high';

export function riskLevel(score: number): RiskLevel {
  if (score >= 67) return 'high';
  if (score >= 34) return 'medium';
  return 'low';
}

export const RISK_COLORS: Record<RiskLevel, string> = { low: 'teal', medium: 'yellow', high: 'red' };

/** "shoe_size" → "Shoe size", for types and keys the dashboard has no words for. */
export function humanize(value: string): string {
  const words = value.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toLocaleUpperCase() + words.slice(1);
}
