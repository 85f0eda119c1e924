import { isIP } from 'node:net';
import { ConfigError } from './env.js';

/** proxy-addr's names for address ranges (what fastify's trustProxy accepts besides addresses). */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * The proxies whose X-Forwarded-For is believed, as a list for fastify's `trustProxy`: addresses,
 * CIDRs (10.0.0.0/8, fd00::/8) or range names. Empty by default: a process reachable directly
 * must not let its clients choose the address their rate limits are keyed on.
 */
export function checkTrustProxy(name: string, entries: string[]): string[] {
  for (const entry of entries) {
    if (RANGE_NAMES.has(entry)) continue;
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const maxPrefix = family === 4 ? 32 : 128;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix);
    if (family === 0 || extra !== undefined || !prefixOk) {
      throw new ConfigError(name, `expected addresses, CIDRs or ${[...RANGE_NAMES].join('/')}, got "${entry}"`);
    }
  }
  return entries;
}
