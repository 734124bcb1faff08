/**
 * The distribution's Chromium driven by playwright-core: nothing is downloaded at test time
 * (playwright-core ships no browser and no install script). `.ci/run` installs Debian's
 * `chromium` when it is missing.
 */
import fs from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/snap/bin/chromium'];

/** CERTFLOW_CHROMIUM, else the first distribution Chromium found. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.CERTFLOW_CHROMIUM;
  if (given) {
    if (!fs.existsSync(given)) throw new Error(`CERTFLOW_CHROMIUM=${given}: no such file`);
    return given;
  }
  const found = CANDIDATES.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`no Chromium at ${CANDIDATES.join(', ')}: install the distribution's package (apt-get install chromium) or set CERTFLOW_CHROMIUM`);
  return found;
}

/**
 * Headless, and quiet on a closed network: without the background-networking switches
 * Chromium keeps trying Google's hosts, and those refused connections slow every start.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
