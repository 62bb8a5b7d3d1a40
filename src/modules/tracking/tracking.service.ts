import { systemContext } from '../../platform/auth/context.ts';
import type { SecretBox } from '../../platform/crypto.ts';
import { sha256 } from '../../platform/crypto.ts';
import type { Database } from '../../platform/db/db.ts';
import { AppError } from '../../platform/errors.ts';
import { advanceDelivery } from '../deliveries/deliveries.status.ts';
import { ingestEvents } from '../events/events.service.ts';
import { getWorkspace } from '../workspaces/workspaces.service.ts';
import { type ClickClaims, type OpenClaims, readClickToken, readOpenToken } from './tracking.links.ts';

export const OPENED_EVENT = 'email_opened';
export const CLICKED_EVENT = 'email_clicked';

/**
 * Records an open or click on the client's timeline through the events service. Within a
 * campaign the reference id makes it one event per client (and per link), whatever the number
 * of times the mail is opened. Nothing is recorded when the workspace has turned tracking off,
 * or when the workspace or client no longer exists.
 */
async function record(db: Database, claims: OpenClaims, type: string, url: string | null, at: Date) {
  try {
    const workspace = await getWorkspace(db, claims.w);
    if (!workspace.emailTracking) return false;
  } catch (error) {
    if (error instanceof AppError && error.code === 'NOT_FOUND') return false;
    throw error;
  }
  const reference = claims.cp
    ? [type, claims.cp, claims.c, url ? sha256(url).slice(0, 16) : null].filter(Boolean).join(':')
    : null;
  const result = await ingestEvents(db, systemContext(claims.w, 'email tracking'), {
    events: [
      {
        client_id: claims.c,
        type,
        occurred_at: at.toISOString(),
        reference_id: reference,
        properties: {
          ...(claims.cp ? { campaign_id: claims.cp } : {}),
          ...(url ? { url: url.slice(0, 500) } : {}),
        },
      },
    ],
  });
  // The campaign's delivery moves to read / clicked (forward only).
  if (claims.cp)
    await advanceDelivery(
      db,
      claims.w,
      { campaignId: claims.cp, clientId: claims.c, channel: 'email' },
      type === CLICKED_EVENT ? 'clicked' : 'read',
    );
  return result.accepted > 0;
}

export async function recordOpen(db: Database, secrets: SecretBox, token: string): Promise<boolean> {
  const claims = readOpenToken(secrets, token);
  if (!claims) return false;
  return record(db, claims, OPENED_EVENT, null, new Date());
}

/** Records a click whose token was already read (the caller redirects whatever happens here). */
export async function recordClick(db: Database, claims: ClickClaims): Promise<boolean> {
  return record(db, claims, CLICKED_EVENT, claims.u, new Date());
}

export { readClickToken };
