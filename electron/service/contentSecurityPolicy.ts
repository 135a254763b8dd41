// The renderer's Content Security Policy. The same policy is in renderer/index.html as a meta tag
// (the desktop app loads the page from disk) and is sent as a header by the browser host; a test
// checks that the two are identical. No inline script, no eval, no remote origins.
// Must not: be loosened for convenience; a new need gets its own directive and a reason.

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Header-only directives (not allowed in a meta tag). */
export const CSP_HEADER_EXTRA = "frame-ancestors 'none'";
