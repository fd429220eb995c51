/**
 * The demo upstream: JSON of what it received (method, path, raw query, headers) for any method and
 * path when asked for JSON; otherwise a readable HTML page, escaped, with who you are, your groups, the
 * assertion's presence and the links, or a note that no identity arrived.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoUpstreamApp } from '../../src/demo/upstream';

describe('demo upstream', () => {
  let server: ServerType;
  let base: string;

  beforeAll(async () => {
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: createDemoUpstreamApp().fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('answers any method and path with JSON when asked for JSON', async () => {
    const res = await fetch(`${base}/admin/a%2Fb?a=1&a=2&b=%20x`, {
      method: 'DELETE',
      headers: { accept: 'application/json', 'x-auth-user': 'alice' },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ method: 'DELETE', path: '/admin/a%2Fb', query: 'a=1&a=2&b=%20x' });
    expect((body.headers as Record<string, string>)['x-auth-user']).toBe('alice');
  });

  it('shows a readable, escaped HTML page with who you are and the links', async () => {
    const res = await fetch(`${base}/partners/?q=1`, {
      headers: {
        accept: 'text/html',
        'x-auth-user': 'jos%C3%A9',
        'x-auth-email': 'jose@example.com',
        'x-auth-groups': 'admins,a%2Cb,<img>',
        'x-auth-assertion': `eyJ${'a'.repeat(300)}`,
      },
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('You are <strong>josé</strong> (jose@example.com)');
    expect(html).toContain('<code>admins</code> <code>a,b</code> <code>&lt;img&gt;</code>');
    expect(html).not.toContain('<img>');
    expect(html).toMatch(/x-auth-assertion<\/code>: present/);
    expect(html).toContain('(303 chars)'); // the assertion is shortened on the page
    for (const href of ['/', '/public/', '/admin/', '/partners/', '/api/', '/_auth/me', '/_auth/logout']) {
      expect(html).toContain(`href="${href}"`);
    }
    expect(html).toContain('<code>GET /partners/?q=1</code>');
  });

  it('says when no identity arrived', async () => {
    const html = await (await fetch(`${base}/public/`)).text();
    expect(html).toContain('No identity headers arrived');
    expect(html).toMatch(/x-auth-assertion<\/code>: absent/);
  });
});
