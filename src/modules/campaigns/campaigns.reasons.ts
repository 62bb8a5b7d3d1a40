/**
 * Why a campaign paused itself or failed, as stored in `status_reason` (the API's words) and read
 * back by the dashboard to say it in the user's language. Pure: imported by the web app too.
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

/**
 * Why a campaign is `failed`: it could not run at all (its audience could not be fixed, its channel
 * or template is gone), as opposed to a campaign whose messages failed one by one (that one is
 * `sent`, with its failures). Each is permanent: retrying the job would fail the same way, so the
 * user has to change something first (the dashboard says what).
 */
export type FailReason =
  /** The saved segment of the audience was archived (DELETE) or no longer exists. */
  | { kind: 'segment_gone'; detail: string }
  /** The conditions (the segment's or the inline tree) no longer validate, e.g. a custom field was archived. */
  | { kind: 'audience_invalid'; detail: string }
  /** The provider account the campaign sends through was deleted. */
  | { kind: 'channel_gone' }
  /** A saved template of the content was deleted. */
  | { kind: 'template_gone' }
  /** Any other permanent refusal, with its message. */
  | { kind: 'other'; detail: string };

const FAIL_TEXT = {
  segment_gone: 'The audience segment was archived or deleted: ',
  audience_invalid: 'The audience conditions are no longer valid: ',
  channel_gone: "The campaign's channel was deleted",
  template_gone: "The campaign's template was deleted",
  other: 'The campaign could not start: ',
} as const;

/** The `status_reason` text of a failure. */
export function failReasonText(reason: FailReason): string {
  switch (reason.kind) {
    case 'channel_gone':
    case 'template_gone':
      return FAIL_TEXT[reason.kind];
    default:
      return `${FAIL_TEXT[reason.kind]}${reason.detail}`;
  }
}

/** A failure's reason back from its text; null for any other text (shown as it is). */
export function failReasonOf(text: string): FailReason | null {
  if (text === FAIL_TEXT.channel_gone) return { kind: 'channel_gone' };
  if (text === FAIL_TEXT.template_gone) return { kind: 'template_gone' };
  for (const kind of ['segment_gone', 'audience_invalid', 'other'] as const)
    if (text.startsWith(FAIL_TEXT[kind])) return { kind, detail: text.slice(FAIL_TEXT[kind].length) };
  return null;
}
