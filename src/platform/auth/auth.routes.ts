import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.ts';
import type { Database } from '../db/db.ts';
import { expectedOrigin } from '../http/access.ts';
import { type HttpApp, sendError } from '../http/app.ts';
import { AUTH_BASE_PATH, type Auth } from './auth.ts';
import { isSignInBlocked, recordSignInFailure } from './login-limiter.ts';

export function toWebHeaders(request: FastifyRequest): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return headers;
}

const SIGN_IN_PATH = `${AUTH_BASE_PATH}/sign-in/email`;

/**
 * Hands /api/auth/* to better-auth as a Fetch Request, after our own sign-in limiter: more than
 * ten failures in a minute for one email or one IP answers 429 before any password is checked.
 */
export function registerAuthRoutes(app: HttpApp, deps: { auth: Auth; db: Database; config: Config }) {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0];
    // Browsers always send Origin on POST: a foreign one is a cross-site (login CSRF) attempt.
    const origin = request.headers.origin;
    if (request.method === 'POST' && origin && origin !== expectedOrigin(deps.config, request)) {
      return sendError(
        reply,
        403,
        'FORBIDDEN',
        'Cross-site request refused: the Origin header does not match this server',
      );
    }
    const isSignIn = request.method === 'POST' && path === SIGN_IN_PATH;
    const email = isSignIn
      ? String((request.body as { email?: unknown } | undefined)?.email ?? '') || null
      : null;
    if (isSignIn && (await isSignInBlocked(deps.db, email, request.ip))) {
      reply.header('retry-after', '60');
      return sendError(reply, 429, 'RATE_LIMITED', 'Too many failed sign-ins; wait a minute and try again');
    }
    const url = new URL(request.url, `${request.protocol}://${request.host}`);
    const response = await deps.auth.handler(
      new Request(url, {
        method: request.method,
        headers: toWebHeaders(request),
        body:
          request.body === undefined || request.method === 'GET' ? undefined : JSON.stringify(request.body),
      }),
    );
    if (isSignIn && response.status === 401) await recordSignInFailure(deps.db, email, request.ip);
    reply.status(response.status);
    response.headers.forEach((value, name) => {
      if (name !== 'set-cookie' && name !== 'content-length') reply.header(name, value);
    });
    const cookies = response.headers.getSetCookie();
    if (cookies.length) reply.header('set-cookie', cookies);
    if (isSignIn && response.ok) {
      // better-auth also returns the session token in the body; the HttpOnly cookie is the only
      // place it should live, out of reach of page scripts.
      const { token: _token, ...rest } = (await response.json()) as Record<string, unknown>;
      return reply.send(rest);
    }
    return reply.send(response.body ? Buffer.from(await response.arrayBuffer()) : null);
  };
  app.route({ method: ['GET', 'POST'], url: `${AUTH_BASE_PATH}/*`, schema: { hide: true }, handler });
}
