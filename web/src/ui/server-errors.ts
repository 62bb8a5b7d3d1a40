import { isApiError } from '../api/client';

interface FormWithErrors {
  setFieldError: (path: string, error: string) => void;
}

/**
 * Puts the server's per-field messages (`details[].path` such as "/name") under the matching inputs.
 * Returns true when at least one field got a message.
 */
export function applyServerErrors(form: FormWithErrors, error: unknown, fields: readonly string[]): boolean {
  if (!isApiError(error)) return false;
  let applied = false;
  for (const detail of error.details) {
    const field = detail.path.replace(/^\//, '').split('/')[0] ?? '';
    if (fields.includes(field)) {
      form.setFieldError(field, detail.message);
      applied = true;
    }
  }
  return applied;
}
