// Who may use the browser host, the way Jupyter does it: `npm run serve` prints a link with a
// one-time token; opening it trades the token for a session cookie (HttpOnly, SameSite=Strict, this
// port's own name) and a new link is printed for the next browser. Every /api and /download call
// needs the cookie, so another local user or process (or a page in the browser) cannot drive the
// lab over loopback without the link.
// Must not: keep anything on disk (sessions end with the server), or accept a token twice.

import { randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_PARAM = 'token';
/** Shortest token accepted from PCILAB_TOKEN (a random one is 32 bytes, base64url). */
export const MIN_TOKEN_LENGTH = 24;

function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface AccessGateOptions {
  /** The first link's token (PCILAB_TOKEN, for scripted use such as the e2e suite); default random. */
  readonly firstToken?: string;
  /** Called with each new token once the previous one has been used (the host prints its link). */
  readonly onNewToken?: (token: string) => void;
}

export class AccessGate {
  private token: string;
  private readonly sessions = new Set<string>();

  constructor(
    /** The port the server listens on: the cookie's name carries it, so labs on other ports keep theirs. */
    private readonly port: () => number,
    private readonly options: AccessGateOptions = {},
  ) {
    const first = options.firstToken;
    if (first !== undefined && first.length < MIN_TOKEN_LENGTH) {
      throw new Error(`PCILAB_TOKEN must be at least ${MIN_TOKEN_LENGTH} characters`);
    }
    this.token = first ?? randomSecret();
  }

  get cookieName(): string {
    return `pcilab-${this.port()}`;
  }

  /** The link that lets one browser in: `${origin}/?token=...`. */
  link(origin: string): string {
    return `${origin}/?${TOKEN_PARAM}=${this.token}`;
  }

  /** Trades the current token for a new session (its Set-Cookie value), once; null for any other token. */
  trade(token: string): string | null {
    if (!sameSecret(token, this.token)) return null;
    this.token = randomSecret();
    const session = randomSecret();
    this.sessions.add(session);
    this.options.onNewToken?.(this.token);
    return `${this.cookieName}=${session}; HttpOnly; SameSite=Strict; Path=/`;
  }

  /** Whether a request's Cookie header holds a session this server handed out. */
  admits(cookieHeader: string | undefined): boolean {
    if (cookieHeader === undefined) return false;
    const name = this.cookieName;
    for (const part of cookieHeader.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
      if (this.sessions.has(part.slice(eq + 1).trim())) return true;
    }
    return false;
  }
}
