import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSameOrigin, ownOrigin, refuseCrossSite } from './csrf.ts';
import { clearedSessionCookie, sessionCookie, sessionToken } from './session-cookie.ts';

const url = new URL('http://127.0.0.1:3000/api/v1/saved_searches');
const h = (o: Record<string, string>) => new Headers({ host: '127.0.0.1:3000', ...o });

test('the dashboard\'s own origin comes from Host, or from what a reverse proxy forwards', () => {
  const cases: [Record<string, string>, string][] = [
    [{}, 'http://127.0.0.1:3000'],
    [{ 'x-forwarded-proto': 'https', 'x-forwarded-host': 'logs.example.com' }, 'https://logs.example.com'],
    [{ 'x-forwarded-proto': 'https, http', 'x-forwarded-host': 'Logs.Example.com, inner:3000' }, 'https://logs.example.com'],
  ];
  for (const [headers, want] of cases) assert.equal(ownOrigin(h(headers), url), want);
});

test('a state change is let through only from the dashboard\'s own origin', () => {
  const cases: [string, Record<string, string>, boolean][] = [
    ['POST', { origin: 'http://127.0.0.1:3000' }, true],
    ['POST', { origin: 'http://127.0.0.1:4000' }, false],
    ['POST', { origin: 'https://127.0.0.1:3000' }, false],
    ['POST', { origin: 'null' }, false],
    ['POST', {}, false],
    ['POST', { 'sec-fetch-site': 'same-origin' }, true],
    ['POST', { 'sec-fetch-site': 'same-site' }, false],
    ['DELETE', { origin: 'http://evil.example' }, false],
    ['PUT', { origin: 'http://127.0.0.1:3000', 'sec-fetch-site': 'cross-site' }, true],
    ['GET', { origin: 'http://evil.example' }, true],
    ['HEAD', {}, true],
  ];
  for (const [method, headers, allowed] of cases) {
    const refused = refuseCrossSite({ method, headers: h(headers), nextUrl: url });
    assert.equal(refused === null, allowed, `${method} ${JSON.stringify(headers)}`);
    if (refused) assert.equal(refused.status, 403);
  }
  assert.equal(isSameOrigin(h({ origin: 'HTTP://127.0.0.1:3000' }), url), true);
});

test('the session cookie: HttpOnly, SameSite=Strict, Secure over https, living until the session ends', () => {
  const now = Date.parse('2026-11-29T10:00:00Z');
  assert.equal(sessionCookie('sst_abc', '2026-11-29T18:00:00.000Z', false, now), 'strata_session=sst_abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=28800');
  assert.equal(sessionCookie('sst_abc', '2026-11-29T18:00:00.000Z', true, now), 'strata_session=sst_abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=28800; Secure');
  assert.equal(clearedSessionCookie(true), 'strata_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure');
  assert.equal(sessionToken('theme=dark; strata_session=sst_x; other=1'), 'sst_x');
  assert.equal(sessionToken('strata_session_old=sst_y'), null);
  assert.equal(sessionToken('strata_session='), null);
  assert.equal(sessionToken(null), null);
});
