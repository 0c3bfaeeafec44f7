/** Security headers (helmet) on the UI and the API, and the failed-authentication limit. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultStaticDir } from '../../src/server/app.js';
import { startHarness, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ staticDir: defaultStaticDir(), failedAuthLimit: { perSecond: 0.5, burst: 3 } });
});
afterAll(async () => h?.close());

function csp(header: string | string[] | number | undefined): Map<string, string> {
  return new Map(String(header).split(';').map((d) => d.trim()).filter(Boolean).map((d) => [d.split(/\s+/)[0], d.split(/\s+/).slice(1).join(' ')]));
}

describe('security headers', () => {
  it('serve the web UI with a CSP that allows only same-origin scripts, styles and requests, and no framing', async () => {
    const res = await h.server.app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    const policy = csp(res.headers['content-security-policy']);
    expect(policy.get('default-src')).toBe("'self'");
    expect(policy.get('script-src')).toBe("'self'");
    expect(policy.get('style-src')).toBe("'self'");
    expect(policy.get('img-src')).toBe("'self' data: blob:");
    expect(policy.get('frame-ancestors')).toBe("'none'");
    expect(policy.get('object-src')).toBe("'none'");
    expect(policy.has('upgrade-insecure-requests')).toBe(false);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
  });

  it('the UI needs no inline script or style, which the policy would block', async () => {
    const html = (await h.server.app.inject({ method: 'GET', url: '/' })).body;
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle="/);
  });

  it('put the same headers on API answers, errors included', async () => {
    for (const res of [
      await h.server.app.inject({ method: 'GET', url: '/api/health' }),
      await h.server.app.inject({ method: 'GET', url: '/api/parts' }),
      await h.server.app.inject({ method: 'GET', url: '/api/parts', headers: h.auth('viewer') }),
    ]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(csp(res.headers['content-security-policy']).get('frame-ancestors')).toBe("'none'");
    }
  });
});

describe('failed authentication limit', () => {
  it('refuses an address that keeps presenting unknown keys, even with a right key, and says when to retry', async () => {
    const ip = '10.1.2.3';
    const wrong = { authorization: 'Bearer ppk_000000000000_not-a-key' };
    for (let i = 0; i < 3; i++) expect((await h.server.app.inject({ method: 'GET', url: '/api/parts', headers: wrong, remoteAddress: ip })).statusCode).toBe(401);
    const blocked = await h.server.app.inject({ method: 'GET', url: '/api/parts', headers: wrong, remoteAddress: ip });
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(blocked.json()).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    // a right key from the same address waits too: the budget is the address's, not the key's
    expect((await h.server.app.inject({ method: 'GET', url: '/api/parts', headers: h.auth('viewer'), remoteAddress: ip })).statusCode).toBe(429);
    // unknown routes under /api check the key as well, and count the same way
    expect((await h.server.app.inject({ method: 'GET', url: '/api/no-such-route', headers: wrong, remoteAddress: ip })).statusCode).toBe(429);
    // other addresses are not affected, and a missing key is not a failed guess
    expect((await h.server.app.inject({ method: 'GET', url: '/api/parts', headers: h.auth('viewer'), remoteAddress: '10.9.9.9' })).statusCode).toBe(200);
    for (let i = 0; i < 5; i++) expect((await h.server.app.inject({ method: 'GET', url: '/api/parts', remoteAddress: '10.9.9.8' })).statusCode).toBe(401);
  });
});
