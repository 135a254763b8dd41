// Fails `npm test` loudly when no Chromium is available for the e2e suite (never a silent skip).
import { existsSync } from 'node:fs';

const candidates = [process.env.PCILAB_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter(
  Boolean,
);
const found = candidates.find((p) => existsSync(p));
if (found === undefined) {
  console.error(
    'e2e: no Chromium found (looked at ' +
      candidates.join(', ') +
      ').\n' +
      'Install one, e.g. on Debian/Ubuntu: sudo apt-get install -y chromium\n' +
      'or point PCILAB_CHROMIUM at a Chromium/Chrome binary. The e2e suite is part of npm test and is never skipped.',
  );
  process.exit(1);
}
console.log(`e2e: using Chromium at ${found}`);
