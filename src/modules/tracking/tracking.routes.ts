import type { SecretBox } from '../../platform/crypto.ts';
import type { Database } from '../../platform/db/db.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import { readClickToken, recordClick, recordOpen } from './tracking.service.ts';

/** The smallest transparent GIF (43 bytes). */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

const tokenOf = (params: unknown) => (params as { '*': string })['*'];

/**
 * Open pixel and click redirect. Tokens are signed and carry their own destination, so the
 * redirect only goes where a message we rendered pointed (no open redirect). A recording failure
 * never breaks the reader's click: it is logged and the redirect still happens.
 */
export function registerTrackingRoutes(app: HttpApp, deps: { db: Database; secrets: SecretBox }) {
  const { db, secrets } = deps;
  app.get('/t/o/*', { schema: { hide: true } }, async (request, reply) => {
    const token = tokenOf(request.params).replace(/\.gif$/, '');
    await recordOpen(db, secrets, token).catch((error) =>
      request.log.warn({ err: error }, 'open not recorded'),
    );
    return reply.header('cache-control', 'no-store, max-age=0').type('image/gif').send(PIXEL);
  });
  app.get('/t/c/*', { schema: { hide: true } }, async (request, reply) => {
    const claims = readClickToken(secrets, tokenOf(request.params));
    if (!claims) return reply.status(404).type('text/plain; charset=utf-8').send('This link is not valid.');
    await recordClick(db, claims).catch((error) => request.log.warn({ err: error }, 'click not recorded'));
    return reply
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .redirect(claims.u, 302);
  });
}
