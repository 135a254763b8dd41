import { describe, expect, it } from 'vitest';
import { AccessGate, MIN_TOKEN_LENGTH } from './accessGate';

describe('the access gate of the browser host', () => {
  it('takes each token once and announces the next one', () => {
    const announced: string[] = [];
    const gate = new AccessGate(() => 5199, { firstToken: 'x'.repeat(MIN_TOKEN_LENGTH), onNewToken: (t) => announced.push(t) });
    expect(gate.link('http://127.0.0.1:5199')).toBe(`http://127.0.0.1:5199/?token=${'x'.repeat(MIN_TOKEN_LENGTH)}`);
    const cookie = gate.trade('x'.repeat(MIN_TOKEN_LENGTH));
    expect(cookie).toMatch(/^pcilab-5199=[\w-]{43}; HttpOnly; SameSite=Strict; Path=\/$/);
    expect(gate.trade('x'.repeat(MIN_TOKEN_LENGTH))).toBeNull();
    expect(announced).toHaveLength(1);
    expect(gate.link('http://127.0.0.1:5199')).toBe(`http://127.0.0.1:5199/?token=${announced[0]}`);
    expect(gate.admits(`other=1; ${cookie!.split(';')[0]}`)).toBe(true);
    expect(gate.admits(undefined)).toBe(false);
  });

  it('refuses a short PCILAB_TOKEN', () => {
    expect(() => new AccessGate(() => 1, { firstToken: 'short' })).toThrow(`at least ${MIN_TOKEN_LENGTH} characters`);
  });
});
