import { describe, expect, it } from 'vitest';
import { accountRefusedReason, FAILURE_RATE_REASON, pauseReasonOf } from './campaigns.reasons.ts';

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
