import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { appFileFor, appProtocolHandler, registerAppScheme, APP_PAGE_URL } from './appProtocol';
import { CONTENT_SECURITY_POLICY } from '../service/contentSecurityPolicy';

const DIR = '/app/out/renderer';

describe('the app:// protocol', () => {
  it('is registered as a standard, secure scheme', () => {
    const registered: unknown[] = [];
    registerAppScheme({ registerSchemesAsPrivileged: (s) => void registered.push(...s) });
    expect(registered).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
    expect(APP_PAGE_URL).toBe('app://lab/index.html');
  });

  it('maps app://lab/ paths to files of the renderer directory and nothing else', () => {
    expect(appFileFor('app://lab/index.html', DIR)).toBe(join(DIR, 'index.html'));
    expect(appFileFor('app://lab/', DIR)).toBe(join(DIR, 'index.html'));
    expect(appFileFor('app://lab/assets/index-abc.js?x=1#/runs', DIR)).toBe(join(DIR, 'assets/index-abc.js'));
    for (const url of [
      'app://lab/../../etc/passwd',
      'app://lab/%2e%2e/%2e%2e/etc/passwd',
      'app://lab/..%2f..%2fsecret',
      'app://other/index.html',
      'file:///etc/passwd',
      'app://lab/%',
      'app://lab/a%00b',
    ]) {
      const file = appFileFor(url, DIR);
      expect(file === null || file.startsWith(`${DIR}/`), url).toBe(true);
    }
    expect(appFileFor('app://lab/..%2f..%2fetc%2fpasswd', DIR)).toBeNull();
    expect(appFileFor('app://other/index.html', DIR)).toBeNull();
  });

  it('serves a file with its type and the CSP, and 404 for anything it does not map', async () => {
    const files: Record<string, string> = { [join(DIR, 'index.html')]: '<html></html>' };
    const read = (f: string) => (f in files ? Promise.resolve(new TextEncoder().encode(files[f])) : Promise.reject(new Error('ENOENT')));
    const handler = appProtocolHandler(DIR, read);
    const page = await handler(new Request(APP_PAGE_URL));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain(CONTENT_SECURITY_POLICY);
    expect(await page.text()).toBe('<html></html>');
    expect((await handler(new Request('app://lab/missing.js'))).status).toBe(404);
    expect((await handler(new Request('app://other/index.html'))).status).toBe(404);
  });
});
