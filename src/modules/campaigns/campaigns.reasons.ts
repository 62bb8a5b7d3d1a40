/**
 * Why a campaign paused itself, as stored in `status_reason` (the API's words) and read back by the
 * dashboard to say it in the user's language. Pure: imported by the web app too.
 */
export const FAILURE_RATE_REASON = 'More than 20% of the last 200 messages failed';
const ACCOUNT_REFUSED_PREFIX = 'The provider refused the account: ';

/** The reason for a pause caused by the provider refusing the account, with its code and message. */
export function accountRefusedReason(detail: string): string {
  return `${ACCOUNT_REFUSED_PREFIX}${detail}`;
}

export type PauseReason = { kind: 'failure_rate' } | { kind: 'account_refused'; detail: string };

/** The known reasons back from their text; null for any other (shown as it is). */
export function pauseReasonOf(reason: string): PauseReason | null {
  if (reason === FAILURE_RATE_REASON) return { kind: 'failure_rate' };
  if (reason.startsWith(ACCOUNT_REFUSED_PREFIX))
    return { kind: 'account_refused', detail: reason.slice(ACCOUNT_REFUSED_PREFIX.length) };
  return null;
}
