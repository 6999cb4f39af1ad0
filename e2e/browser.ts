/**
 * How the e2e tests launch Debian's Chromium (never a downloaded browser): `executablePath` is the binary itself,
 * not the /usr/bin wrapper that adds flags; the host rule keeps it from looking up any host but loopback.
 */
export const LAUNCH_OPTIONS = {
  executablePath: process.env.STRATA_CHROMIUM ?? '/usr/lib/chromium/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1'],
};
