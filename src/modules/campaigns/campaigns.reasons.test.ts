import { describe, expect, it } from 'vitest';
import {
  accountRefusedReason,
  FAILURE_RATE_REASON,
  type FailReason,
  failReasonOf,
  failReasonText,
  pauseReasonOf,
} from './campaigns.reasons.ts';

describe('pause reasons', () => {
  it('reads back the reasons the engine writes, and nothing else', () => {
    expect(pauseReasonOf(FAILURE_RATE_REASON)).toEqual({ kind: 'failure_rate' });
    expect(pauseReasonOf(accountRefusedReason('131031: Business account is locked'))).toEqual({
      kind: 'account_refused',
      detail: '131031: Business account is locked',
    });
    expect(pauseReasonOf('Paused by an operator')).toBeNull();
  });
});

describe('failure reasons', () => {
  it('reads back every reason the engine writes, with its detail, and nothing else', () => {
    const reasons: FailReason[] = [
      { kind: 'segment_gone', detail: 'VIP Madrid' },
      { kind: 'audience_invalid', detail: '/all/0/field: unknown custom field "vip_level"' },
      { kind: 'channel_gone' },
      { kind: 'template_gone' },
      { kind: 'other', detail: 'Campaign not found' },
    ];
    for (const reason of reasons) expect(failReasonOf(failReasonText(reason))).toEqual(reason);
    expect(failReasonOf(FAILURE_RATE_REASON)).toBeNull();
    expect(failReasonOf('Something else')).toBeNull();
  });
});
