/**
 * The rules for a webhook's delivery URL: Featurebase delivers only to public https endpoints
 * (featurebase-webhooks-api.md 1.2), and a URL that points inside (loopback, private networks,
 * cloud metadata) must not cost an upstream call (reliability-catalogue.md G17, G18).
 *
 * What is checked is the URL after WHATWG parsing (`new URL()`), and what the caller should send
 * upstream is that parsed form (`href`): every spelling that parsing normalises (`0x7f000001`,
 * `2130706433`, `0177.0.0.1`, `127.1`, `127.0.0.1.`, full-width digits and dots,
 * percent-encoded hosts, `::ffff:127.0.0.1`) is judged by the dotted quad or compressed IPv6 it
 * becomes, and the form judged is the form sent, so no other parser downstream can read the
 * host differently.
 *
 * DNS names are NOT resolved. This is about literals and names that are local by definition: a
 * public name that resolves to an inside address (`127.0.0.1.nip.io`, DNS rebinding) is
 * Featurebase's to refuse at delivery time. The gateway itself never connects to this URL.
 */

import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** Not documented upstream; a bound keeps one webhook from holding megabytes (as the simulator). */
export const PUBLIC_URL_MAX_LENGTH = 2048;

/** Why a URL was refused; each maps to one message in the caller. */
export type PublicUrlRefusal =
  /** over PUBLIC_URL_MAX_LENGTH, as written or once normalised */
  | 'too-long'
  /** control characters, whitespace, backslashes or lone surrogates */
  | 'bad-characters'
  /** not an absolute URL written as `https://host…` */
  | 'malformed'
  /** a scheme other than https */
  | 'not-https'
  /** a user name, a password, or an `@` in the authority */
  | 'userinfo'
  /** a host name that is not a plain DNS name (empty labels, trailing dot, odd characters) */
  | 'bad-host'
  /** localhost, single-label and special-use names that never resolve publicly */
  | 'local-name'
  /** an IP literal that is not a public unicast address */
  | 'non-public-address';

export type PublicUrlCheck = { ok: true; href: string } | { ok: false; reason: PublicUrlRefusal };

/**
 * C0 controls, DEL, C1 controls, any Unicode whitespace, backslashes (which WHATWG reads as `/`
 * and other parsers do not) and lone surrogates.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
const BAD_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\s\\]|\p{Cs}/u;

/** Exactly two slashes after the scheme: `https:host`, `https:/host` and `https:///host` are refused. */
const WRITTEN_AS_HTTPS = /^https:\/\/[^/]/i;

/** A DNS label as WHATWG leaves it: lower-case ASCII (IDN already in punycode). */
const DNS_LABEL = /^[a-z0-9_-]{1,63}$/;
const DNS_NAME_MAX_LENGTH = 253;

/**
 * Names that never resolve in public DNS, or resolve to the machine or network of whoever
 * resolves them: RFC 6761 (localhost, test, invalid, example), RFC 6762 (local), RFC 7686
 * (onion), RFC 8375 (home.arpa), ICANN's private-use `internal` (2024), the never-delegated
 * `home` and `corp`, and the conventional `localdomain` and `lan`.
 */
const LOCAL_SUFFIXES = [
  'localhost',
  'local',
  'internal',
  'localdomain',
  'lan',
  'home',
  'corp',
  'home.arpa',
  'test',
  'invalid',
  'example',
  'onion',
];

/** IPv4 ranges that are not public unicast (IANA special-purpose registry). */
const NON_PUBLIC_IPV4 = blockList('ipv4', [
  ['0.0.0.0', 8], // "this network", 0.0.0.0 included
  ['10.0.0.0', 8], // private (RFC 1918)
  ['100.64.0.0', 10], // shared address space, carrier-grade NAT (RFC 6598)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, 169.254.169.254 cloud metadata included
  ['172.16.0.0', 12], // private (RFC 1918)
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation (TEST-NET-1)
  ['192.88.99.0', 24], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16], // private (RFC 1918)
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation (TEST-NET-2)
  ['203.0.113.0', 24], // documentation (TEST-NET-3)
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, 255.255.255.255 broadcast included
]);

/**
 * An IPv6 literal must be global unicast (2000::/3). Everything outside it is refused whole:
 * `::`, `::1`, IPv4-compatible `::/96` and IPv4-mapped `::ffff:0:0/96` (whatever IPv4 address
 * they carry: write IPv4 as IPv4), the local-use NAT64 prefix 64:ff9b:1::/48, discard-only
 * 100::/64, SRv6 5f00::/16, ULA fc00::/7 (AWS metadata fd00:ec2::254 included), link-local
 * fe80::/10, site-local fec0::/10 and multicast ff00::/8. The one exception is the well-known
 * NAT64 prefix, below.
 */
const GLOBAL_UNICAST_IPV6 = blockList('ipv6', [['2000::', 3]]);

/** Inside 2000::/3 but not a delivery target. */
const NON_PUBLIC_IPV6 = blockList('ipv6', [
  ['2001::', 23], // IETF protocol assignments: Teredo 2001::/32, benchmarking, ORCHID
  ['2001:db8::', 32], // documentation
  ['3fff::', 20], // documentation (RFC 9637)
]);

/**
 * Checks a webhook delivery URL. On success, `href` is the normalised URL to send upstream (the
 * form that was checked).
 */
export function checkPublicHttpsUrl(raw: string): PublicUrlCheck {
  // Cheap checks first: a 1 MB string is refused on its length alone.
  if (raw.length > PUBLIC_URL_MAX_LENGTH) return refuse('too-long');
  if (BAD_CHARACTERS.test(raw)) return refuse('bad-characters');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse('malformed');
  }
  if (url.protocol !== 'https:') return refuse('not-https');
  if (!WRITTEN_AS_HTTPS.test(raw)) return refuse('malformed');
  // WHATWG drops an empty userinfo (`https://:@host/`, `https://@host/`); the raw authority
  // (up to the first `/`, `?` or `#`, backslashes being refused above) still shows it.
  const authority = raw.slice('https://'.length).split(/[/?#]/, 1)[0] ?? '';
  if (url.username !== '' || url.password !== '' || authority.includes('@')) {
    return refuse('userinfo');
  }
  const hostReason = checkHost(url.hostname);
  if (hostReason) return refuse(hostReason);
  // Percent-encoding of non-ASCII path characters can make the sent form longer than the raw one.
  if (url.href.length > PUBLIC_URL_MAX_LENGTH) return refuse('too-long');
  return { ok: true, href: url.href };
}

function refuse(reason: PublicUrlRefusal): PublicUrlCheck {
  return { ok: false, reason };
}

/** `hostname` as WHATWG leaves it: lower case, punycode, IPv4 as a dotted quad, IPv6 bracketed. */
function checkHost(hostname: string): PublicUrlRefusal | undefined {
  if (hostname.startsWith('[') && hostname.endsWith(']')) {
    return isPublicIPv6(hostname.slice(1, -1)) ? undefined : 'non-public-address';
  }
  if (isIPv4(hostname)) return isPublicIPv4(hostname) ? undefined : 'non-public-address';
  // A DNS name. One trailing dot is stripped for the name rules, so that `localhost.` and
  // `metadata.internal.` are refused as local names, and then refused anyway as a form: an
  // absolute name with its root dot breaks certificate and virtual-host matching at delivery.
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  const labels = name.split('.');
  if (labels.length < 2) return 'local-name'; // single label: `intranet`, `localhost`
  if (LOCAL_SUFFIXES.some((suffix) => name === suffix || name.endsWith(`.${suffix}`))) {
    return 'local-name';
  }
  if (
    name !== hostname ||
    name.length > DNS_NAME_MAX_LENGTH ||
    !labels.every((label) => DNS_LABEL.test(label))
  ) {
    return 'bad-host';
  }
  return undefined;
}

function isPublicIPv4(address: string): boolean {
  return !NON_PUBLIC_IPV4.check(address, 'ipv4');
}

function isPublicIPv6(address: string): boolean {
  const pieces = ipv6Pieces(address);
  if (!pieces) return false;
  const [p0, p1, p2, p3, p4, p5, p6, p7] = pieces;
  // NAT64 well-known prefix 64:ff9b::/96 (RFC 6052): reaches the IPv4 address in its last 32
  // bits, so it is as public as that address.
  if (p0 === 0x64 && p1 === 0xff9b && p2 === 0 && p3 === 0 && p4 === 0 && p5 === 0) {
    return isPublicIPv4(embeddedIPv4(p6, p7));
  }
  if (!GLOBAL_UNICAST_IPV6.check(address, 'ipv6')) return false;
  if (NON_PUBLIC_IPV6.check(address, 'ipv6')) return false;
  // 6to4 2002::/16 (RFC 3056) carries an IPv4 address in bits 16-47. The prefix is deprecated
  // but still global; it is accepted when the IPv4 address it carries is public.
  if (p0 === 0x2002) return isPublicIPv4(embeddedIPv4(p1, p2));
  return true;
}

/** The eight 16-bit pieces of a valid IPv6 address, compressed or not, dotted tail or not. */
function ipv6Pieces(address: string): number[] | undefined {
  if (!isIPv6(address)) return undefined;
  let text = address;
  const tailStart = text.lastIndexOf(':') + 1;
  const tail = text.slice(tailStart);
  if (tail.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    text = `${text.slice(0, tailStart)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [left = '', right] = text.split('::');
  const head = left === '' ? [] : left.split(':');
  const rest = right === undefined || right === '' ? [] : right.split(':');
  const zeros = right === undefined ? [] : Array<string>(8 - head.length - rest.length).fill('0');
  const pieces = [...head, ...zeros, ...rest].map((piece) => Number.parseInt(piece, 16));
  return pieces.length === 8 ? pieces : undefined;
}

function embeddedIPv4(high = 0, low = 0): string {
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

function blockList(
  family: 'ipv4' | 'ipv6',
  subnets: readonly (readonly [network: string, prefix: number])[],
): BlockList {
  const list = new BlockList();
  for (const [network, prefix] of subnets) list.addSubnet(network, prefix, family);
  return list;
}
