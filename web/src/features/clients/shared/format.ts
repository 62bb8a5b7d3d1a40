import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';

/** Numbers in the reader's language, two decimals for money, no currency (a workspace may bill in several). */
export function useFormatters() {
  const { i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'en';
  return useMemo(() => {
    const money = new Intl.NumberFormat(language, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    const number = new Intl.NumberFormat(language, { maximumFractionDigits: 2 });
    return {
      language,
      money: (value: number) => money.format(value),
      number: (value: number) => number.format(value),
      currency: (value: number, currency: string | null | undefined) => {
        if (!currency) return money.format(value);
        try {
          return new Intl.NumberFormat(language, { style: 'currency', currency }).format(value);
        } catch {
          return `${money.format(value)} ${currency}`;
        }
      },
    };
  }, [language]);
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
