import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loginHref, safeNextPath } from './next-path.ts';

test('safeNextPath keeps paths of this dashboard and refuses anything that could leave it', () => {
  const cases: [string | null, string][] = [
    ['/tail?index=app&q=level%3Aerror', '/tail?index=app&q=level%3Aerror'],
    ['/discover#x', '/discover#x'],
    ['/security', '/security'],
    [null, '/discover'],
    ['', '/discover'],
    ['//evil.example/x', '/discover'],
    ['https://evil.example/', '/discover'],
    ['/\\evil.example', '/discover'],
    ['/\tevil', '/discover'],
    ['javascript:alert(1)', '/discover'],
    ['discover', '/discover'],
    ['/login?next=/login', '/discover'],
    ['/api/v1/security/me', '/discover'],
    ['/%2F%2Fevil.example', '/%2F%2Fevil.example'],
  ];
  for (const [raw, want] of cases) assert.equal(safeNextPath(raw), want, String(raw));
});

test('loginHref carries the page to come back to, and nothing unsafe', () => {
  assert.equal(loginHref('/tail?index=a'), '/login?next=%2Ftail%3Findex%3Da');
  assert.equal(loginHref('/discover'), '/login?next=%2Fdiscover');
  assert.equal(loginHref('//evil'), '/login');
});
