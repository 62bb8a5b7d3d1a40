import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import { type ErrorDetail, isApiError } from '../../../api/client';

/** "/email" → "email", "/custom/shoe_size" → "custom.shoe_size", "/tags/2" → "tags", "/" → null. */
export function formPath(path: string): string | null {
  const parts = path.replace(/^\//, '').split('/').filter(Boolean);
  if (!parts.length) return null;
  if (parts[0] === 'custom' && parts[1]) return `custom.${parts[1]}`;
  return parts[0] ?? null;
}

/** Our words for the server's usual messages; anything else is shown as the server wrote it. */
const KNOWN: Array<[RegExp, string]> = [
  [/^not a valid email address/, 'clients.errors.email'],
  [/^must be an email address/, 'clients.errors.email'],
  [/^not a possible phone number/, 'clients.errors.phone'],
  [/^not an ISO 3166/, 'clients.errors.country'],
  [/^not an IANA time zone/, 'clients.errors.timezone'],
  [/^a past date/, 'clients.errors.birthday'],
  [/^is required/, 'validation.required'],
  [/^must be a number/, 'clients.errors.number'],
  [/^must be an http\(s\) URL/, 'clients.errors.url'],
  [/^must be a date/, 'clients.errors.date'],
  [/^already belongs to client/, 'clients.errors.duplicate'],
  [/^already used/, 'clients.errors.externalIdTaken'],
  [/^read-only for the/, 'clients.errors.readOnly'],
  [/^at most \d+ characters/, 'clients.errors.tooLong'],
  [/^a client needs at least/, 'clients.errors.needIdentity'],
  [/^unknown label/, 'clients.errors.label'],
];

export function useServerMessage() {
  const { t } = useTranslation();
  return useCallback(
    (detail: ErrorDetail): string => {
      for (const [pattern, key] of KNOWN) {
        if (pattern.test(detail.message)) {
          const translate = t as unknown as (key: string) => string;
          return translate(key);
        }
      }
      return detail.message;
    },
    [t],
  );
}

interface FormWithErrors {
  setFieldError: (path: string, error: string) => void;
}

/**
 * Puts each of the server's messages under its input (known paths only) and returns the rest, to show
 * above the buttons. An empty list means every message found its field.
 */
export function useApplyServerErrors() {
  const message = useServerMessage();
  return useCallback(
    (form: FormWithErrors, error: unknown, known: (path: string) => boolean): string[] => {
      if (!isApiError(error) || !error.details.length) return [];
      const rest: string[] = [];
      for (const detail of error.details) {
        const path = formPath(detail.path);
        if (path && known(path)) form.setFieldError(path, message(detail));
        else rest.push(path ? `${path}: ${message(detail)}` : message(detail));
      }
      return rest;
    },
    [message],
  );
}

/** The id of the client that already has this email or phone, read from a 409. */
export function duplicateOf(error: unknown): string | null {
  if (!isApiError(error, 409)) return null;
  for (const detail of error.details) {
    const match = /client ([0-9a-f-]{36})/i.exec(detail.message);
    if (match?.[1]) return match[1];
  }
  return null;
}

/** After a failed save, takes the keyboard to the first field that has a message. */
export function focusFirstError(form: HTMLFormElement | null) {
  window.setTimeout(() => {
    const invalid = form?.querySelector<HTMLElement>('[aria-invalid="true"], [data-error="true"] input');
    invalid?.focus();
  }, 0);
}
