import { describe, expect, it } from 'vitest';
import {
  cookieHeader,
  newUser,
  newWorkspace,
  ORIGIN,
  PASSWORD,
  setupTestApp,
  signIn,
} from '../../../test/support/app.ts';

const t = setupTestApp();

function signInRequest(email: string, password: string, ip = '10.0.0.1') {
  return t.inject({
    method: 'POST',
    url: '/api/auth/sign-in/email',
    headers: { origin: ORIGIN, host: 'clientela.test' },
    remoteAddress: ip,
    payload: { email, password },
  });
}

describe('dashboard sign-in', () => {
  it('sets an HttpOnly SameSite=Lax session cookie and keeps the token out of the body', async () => {
    const user = await newUser(t);
    await newWorkspace(t, user);
    const response = await signInRequest(user.email, PASSWORD);
    expect(response.statusCode).toBe(200);
    const cookie = String(response.headers['set-cookie']);
    expect(cookie).toMatch(/clientela\.session_token=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(response.json().token).toBeUndefined();
    expect(response.json().user.email).toBe(user.email);
    const me = await t.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { cookie: cookieHeader(response) },
    });
    expect(me.statusCode).toBe(200);
    expect(me.json().user.email).toBe(user.email);
    expect(me.json().role).toBe('owner');
  });

  it('refuses a wrong password with 401 and no cookie', async () => {
    const user = await newUser(t);
    const response = await signInRequest(user.email, 'wrong-password-123', '10.0.0.2');
    expect(response.statusCode).toBe(401);
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('answers 429 after 10 failures in a minute for one account, even with the right password', async () => {
    const user = await newUser(t);
    for (let i = 0; i < 10; i++) {
      // Each failure from a different IP: the per-account limit must trip on its own.
      expect((await signInRequest(user.email, 'nope-nope-nope', `10.1.0.${i}`)).statusCode).toBe(401);
    }
    const blocked = await signInRequest(user.email, PASSWORD, '10.1.1.1');
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().error.code).toBe('RATE_LIMITED');
    expect(blocked.headers['retry-after']).toBe('60');
  });

  it('answers 429 after 10 failures in a minute from one IP, across accounts', async () => {
    const victim = await newUser(t);
    for (let i = 0; i < 10; i++) {
      expect((await signInRequest(`nobody${i}@example.com`, 'nope-nope-nope', '10.2.0.1')).statusCode).toBe(
        401,
      );
    }
    expect((await signInRequest(victim.email, PASSWORD, '10.2.0.1')).statusCode).toBe(429);
    expect((await signInRequest(victim.email, PASSWORD, '10.2.0.2')).statusCode).toBe(200);
  });

  it('signs out: the cookie stops working', async () => {
    const user = await newUser(t);
    await newWorkspace(t, user);
    const session = await signIn(t, user.email);
    expect((await session.request('GET', '/api/v1/me')).statusCode).toBe(200);
    const out = await session.request('POST', '/api/auth/sign-out', { payload: {} });
    expect(out.statusCode).toBe(200);
    expect((await session.request('GET', '/api/v1/me')).statusCode).toBe(401);
  });

  it('changes the password: the old one stops working, the new one works', async () => {
    const user = await newUser(t);
    await newWorkspace(t, user);
    const session = await signIn(t, user.email);
    const wrong = await session.request('POST', '/api/auth/change-password', {
      payload: { currentPassword: 'not-my-password', newPassword: 'brand-new-password-1' },
    });
    expect(wrong.statusCode).toBe(400);
    const changed = await session.request('POST', '/api/auth/change-password', {
      payload: { currentPassword: PASSWORD, newPassword: 'brand-new-password-1', revokeOtherSessions: true },
    });
    expect(changed.statusCode).toBe(200);
    expect((await signInRequest(user.email, PASSWORD, '10.3.0.1')).statusCode).toBe(401);
    expect((await signInRequest(user.email, 'brand-new-password-1', '10.3.0.1')).statusCode).toBe(200);
  });

  it('keeps public sign-up closed', async () => {
    const response = await t.inject({
      method: 'POST',
      url: '/api/auth/sign-up/email',
      headers: { origin: ORIGIN, host: 'clientela.test' },
      payload: { email: 'intruder@example.com', password: 'whatever-12345', name: 'Intruder' },
    });
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    expect(response.statusCode).toBeLessThan(500);
  });
});

describe('CSRF protection for cookie sessions', () => {
  it('refuses a cookie-authenticated change without a matching Origin; API keys are exempt', async () => {
    const user = await newUser(t);
    await newWorkspace(t, user);
    const session = await signIn(t, user.email);
    const noOrigin = await t.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: { cookie: session.cookie, host: 'clientela.test' },
      payload: { name: 'k', role: 'viewer' },
    });
    expect(noOrigin.statusCode).toBe(403);
    const foreign = await session.request('POST', '/api/v1/api-keys', {
      payload: { name: 'k', role: 'viewer' },
      headers: { origin: 'https://evil.example' },
    });
    expect(foreign.statusCode).toBe(403);
    const same = await session.request('POST', '/api/v1/api-keys', {
      payload: { name: 'k', role: 'viewer' },
    });
    expect(same.statusCode).toBe(201);
    // Reads need no Origin.
    const read = await t.inject({
      method: 'GET',
      url: '/api/v1/api-keys',
      headers: { cookie: session.cookie },
    });
    expect(read.statusCode).toBe(200);
  });

  it('refuses a cross-site sign-in attempt', async () => {
    const user = await newUser(t);
    const response = await t.inject({
      method: 'POST',
      url: '/api/auth/sign-in/email',
      headers: { origin: 'https://evil.example', host: 'clientela.test' },
      payload: { email: user.email, password: PASSWORD },
    });
    expect(response.statusCode).toBe(403);
  });
});
