import { describe, expect, it } from 'vitest';
import {
  checkPublicHttpsUrl,
  PUBLIC_URL_MAX_LENGTH,
  type PublicUrlRefusal,
} from '../../src/webhooks/public-url.ts';
import { compareFastest } from '../support/timing.ts';

/** `https://example.com/` is 20 characters. */
const longPath = (total: number) => `https://example.com/${'a'.repeat(total - 20)}`;

describe('checkPublicHttpsUrl accepts public https URLs', () => {
  it.each([
    // [raw, the normalised href that is sent upstream]
    ['https://hooks.example.com/featurebase', 'https://hooks.example.com/featurebase'],
    ['https://example.com', 'https://example.com/'],
    ['HTTPS://Hooks.Example.COM:8443/a?b=c', 'https://hooks.example.com:8443/a?b=c'],
    ['https://example.com:443/x', 'https://example.com/x'],
    ['https://e.com', 'https://e.com/'],
    ['https://my_service.example.com/', 'https://my_service.example.com/'],
    ['https://a-b.c-d.example.co.uk/path', 'https://a-b.c-d.example.co.uk/path'],
    // IDN: judged and sent as punycode.
    ['https://例え.jp/hook', 'https://xn--r8jz45g.jp/hook'],
    ['https://xn--r8jz45g.jp/', 'https://xn--r8jz45g.jp/'],
    // Names that only look numeric are names (DNS is not resolved).
    ['https://0x7f000001.com/', 'https://0x7f000001.com/'],
    ['https://127.0.0.1.nip.io/', 'https://127.0.0.1.nip.io/'],
    // An `@` after the authority is not userinfo.
    ['https://example.com/p?token=a@b', 'https://example.com/p?token=a@b'],
    ['https://example.com/#x@y', 'https://example.com/#x@y'],
    ['https://example.com/caf\u00e9', 'https://example.com/caf%C3%A9'],
    [longPath(PUBLIC_URL_MAX_LENGTH), longPath(PUBLIC_URL_MAX_LENGTH)],
    // Public IPv4, including the neighbours of every refused range.
    ['https://8.8.8.8/', 'https://8.8.8.8/'],
    ['https://1.1.1.1/hook', 'https://1.1.1.1/hook'],
    ['https://1.0.0.0/', 'https://1.0.0.0/'],
    ['https://9.255.255.255/', 'https://9.255.255.255/'],
    ['https://11.0.0.0/', 'https://11.0.0.0/'],
    ['https://100.63.255.255/', 'https://100.63.255.255/'],
    ['https://100.128.0.0/', 'https://100.128.0.0/'],
    ['https://126.255.255.255/', 'https://126.255.255.255/'],
    ['https://128.0.0.0/', 'https://128.0.0.0/'],
    ['https://169.253.255.255/', 'https://169.253.255.255/'],
    ['https://169.255.0.0/', 'https://169.255.0.0/'],
    ['https://172.15.255.255/', 'https://172.15.255.255/'],
    ['https://172.32.0.0/', 'https://172.32.0.0/'],
    ['https://192.167.255.255/', 'https://192.167.255.255/'],
    ['https://192.169.0.0/', 'https://192.169.0.0/'],
    ['https://198.17.255.255/', 'https://198.17.255.255/'],
    ['https://198.20.0.0/', 'https://198.20.0.0/'],
    ['https://223.255.255.255/', 'https://223.255.255.255/'],
    // Public IPv4 in a numeric spelling: normalised, and sent normalised.
    ['https://134744072/', 'https://8.8.8.8/'],
    // Public IPv6.
    ['https://[2606:4700:4700::1111]/', 'https://[2606:4700:4700::1111]/'],
    ['https://[2001:4860:4860::8888]/x', 'https://[2001:4860:4860::8888]/x'],
    ['https://[2001:4860:4860:0:0:0:0:8888]/', 'https://[2001:4860:4860::8888]/'],
    ['https://[2a00:1450:4001:80b::200e]/', 'https://[2a00:1450:4001:80b::200e]/'],
    // NAT64 and 6to4 carrying a public IPv4 address (8.8.8.8).
    ['https://[64:ff9b::8.8.8.8]/', 'https://[64:ff9b::808:808]/'],
    ['https://[2002:808:808::1]/', 'https://[2002:808:808::1]/'],
  ])('%s', (raw, href) => {
    expect(checkPublicHttpsUrl(raw)).toEqual({ ok: true, href });
  });
});

describe('checkPublicHttpsUrl refuses', () => {
  const cases: [label: string, raw: string, reason: PublicUrlRefusal][] = [
    // G17: scheme, userinfo, characters, length, shape.
    ['http', 'http://example.com', 'not-https'],
    ['HTTP upper case', 'HTTP://example.com/', 'not-https'],
    ['javascript:', 'javascript:alert(1)', 'not-https'],
    ['file:', 'file:///etc/passwd', 'not-https'],
    ['ftp:', 'ftp://example.com/', 'not-https'],
    ['wss:', 'wss://example.com/', 'not-https'],
    ['data:', 'data:text/plain,hello', 'not-https'],
    ['user and password', 'https://user:pass@example.com/', 'userinfo'],
    ['user only', 'https://user@example.com/', 'userinfo'],
    ['password only', 'https://:pass@example.com/', 'userinfo'],
    ['empty userinfo', 'https://:@example.com/', 'userinfo'],
    ['a bare @', 'https://@example.com/', 'userinfo'],
    ['userinfo in front of an inside host', 'https://example.com@127.0.0.1/', 'userinfo'],
    ['CRLF header injection', 'https://example.com/\r\nHost: x', 'bad-characters'],
    ['LF', 'https://example.com/\nx', 'bad-characters'],
    ['a tab (WHATWG would drop it)', 'https://exam\tple.com/', 'bad-characters'],
    ['NUL', 'https://example.com/\u0000', 'bad-characters'],
    ['DEL', 'https://example.com/\u007f', 'bad-characters'],
    ['a C1 control (NEL)', 'https://example.com/\u0085', 'bad-characters'],
    ['a space', 'https://example.com/a b', 'bad-characters'],
    ['a leading space', ' https://example.com/', 'bad-characters'],
    ['a no-break space', 'https://example.com/\u00a0', 'bad-characters'],
    ['a line separator', 'https://example.com/\u2028', 'bad-characters'],
    ['an ideographic space', 'https://example.com/\u3000', 'bad-characters'],
    ['a backslash', 'https://example.com\\@127.0.0.1/', 'bad-characters'],
    ['backslashes for slashes', 'https:\\\\example.com\\', 'bad-characters'],
    ['a lone surrogate', 'https://example.com/\ud800', 'bad-characters'],
    ['2049 characters', longPath(PUBLIC_URL_MAX_LENGTH + 1), 'too-long'],
    ['1 MB', longPath(1_000_000), 'too-long'],
    ['too long once percent-encoded', `https://example.com/${'\u00e9'.repeat(1000)}`, 'too-long'],
    ['empty', '', 'malformed'],
    ['no scheme', 'example.com/hook', 'malformed'],
    ['relative', '/hooks', 'malformed'],
    ['no host', 'https://', 'malformed'],
    ['no slashes', 'https:example.com', 'malformed'],
    ['one slash', 'https:/example.com', 'malformed'],
    ['three slashes', 'https:///example.com', 'malformed'],
    ['a forbidden host character', 'https://exa<mple.com/', 'malformed'],
    ['an unclosed IPv6 literal', 'https://[::1/', 'malformed'],
    ['an IPv6 zone id', 'https://[fe80::1%25eth0]/', 'malformed'],
    ['an IPv4 octet over 255', 'https://999.1.1.1/', 'malformed'],
    ['a numeric last label', 'https://example.123/', 'malformed'],
    ['a port over 65535', 'https://example.com:65536/', 'malformed'],

    // G18 as written in the catalogue.
    ['IPv4 loopback', 'https://127.0.0.1/', 'non-public-address'],
    ['cloud metadata', 'https://169.254.169.254/latest/meta-data/', 'non-public-address'],
    ['IPv6 loopback', 'https://[::1]/', 'non-public-address'],
    ['IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/', 'non-public-address'],
    ['localhost', 'https://localhost/', 'local-name'],
    ['hex loopback', 'https://0x7f000001/', 'non-public-address'],
    ['decimal loopback', 'https://2130706433/', 'non-public-address'],
    ['RFC 1918 10/8', 'https://10.0.0.1/', 'non-public-address'],

    // Every IPv4 spelling WHATWG normalises to a dotted quad.
    ['octal first octet', 'https://0177.0.0.1/', 'non-public-address'],
    ['octal whole address', 'https://017700000001/', 'non-public-address'],
    ['two parts', 'https://127.1/', 'non-public-address'],
    ['three parts', 'https://127.0.1/', 'non-public-address'],
    ['hex two parts', 'https://0x7f.1/', 'non-public-address'],
    ['hex octets', 'https://0x7f.0x0.0x0.0x1/', 'non-public-address'],
    ['a trailing dot', 'https://127.0.0.1./', 'non-public-address'],
    ['ideographic full stops', 'https://127\u30020\u30020\u30021/', 'non-public-address'],
    ['full-width digits', 'https://\uff11\uff12\uff17.0.0.1/', 'non-public-address'],
    ['percent-encoded digits', 'https://%31%32%37.0.0.1/', 'non-public-address'],
    ['metadata in decimal', 'https://2852039166/', 'non-public-address'],
    ['metadata in hex', 'https://0xa9fea9fe/', 'non-public-address'],
    ['0', 'https://0/', 'non-public-address'],
    ['with a port', 'https://127.0.0.1:8443/admin', 'non-public-address'],
    ['with a token in the query', 'https://10.0.0.1/hook?token=s3cr3t', 'non-public-address'],

    // Every non-public IPv4 range.
    ['0.0.0.0', 'https://0.0.0.0/', 'non-public-address'],
    ['0/8', 'https://0.1.2.3/', 'non-public-address'],
    ['10/8 top', 'https://10.255.255.255/', 'non-public-address'],
    ['CGNAT 100.64/10 bottom', 'https://100.64.0.0/', 'non-public-address'],
    ['CGNAT 100.64/10 top', 'https://100.127.255.255/', 'non-public-address'],
    ['127/8 top', 'https://127.255.255.254/', 'non-public-address'],
    ['link-local', 'https://169.254.0.1/', 'non-public-address'],
    ['172.16/12 bottom', 'https://172.16.0.0/', 'non-public-address'],
    ['172.16/12 top', 'https://172.31.255.255/', 'non-public-address'],
    ['192.0.0/24', 'https://192.0.0.170/', 'non-public-address'],
    ['TEST-NET-1', 'https://192.0.2.1/', 'non-public-address'],
    ['6to4 relay anycast', 'https://192.88.99.1/', 'non-public-address'],
    ['192.168/16', 'https://192.168.1.1/', 'non-public-address'],
    ['benchmarking', 'https://198.19.255.255/', 'non-public-address'],
    ['TEST-NET-2', 'https://198.51.100.7/', 'non-public-address'],
    ['TEST-NET-3', 'https://203.0.113.9/', 'non-public-address'],
    ['multicast bottom', 'https://224.0.0.1/', 'non-public-address'],
    ['multicast SSDP', 'https://239.255.255.250/', 'non-public-address'],
    ['reserved 240/4', 'https://240.0.0.1/', 'non-public-address'],
    ['broadcast', 'https://255.255.255.255/', 'non-public-address'],

    // IPv6.
    ['IPv6 loopback, long form', 'https://[0:0:0:0:0:0:0:1]/', 'non-public-address'],
    ['IPv6 unspecified', 'https://[::]/', 'non-public-address'],
    ['IPv4-mapped in hex', 'https://[::ffff:7f00:1]/', 'non-public-address'],
    ['IPv4-mapped, long form', 'https://[0:0:0:0:0:ffff:7f00:1]/', 'non-public-address'],
    ['IPv4-mapped metadata', 'https://[::ffff:169.254.169.254]/', 'non-public-address'],
    ['IPv4-mapped public (write IPv4 as IPv4)', 'https://[::ffff:8.8.8.8]/', 'non-public-address'],
    ['IPv4-compatible loopback', 'https://[::127.0.0.1]/', 'non-public-address'],
    ['IPv4-translated (SIIT)', 'https://[::ffff:0:7f00:1]/', 'non-public-address'],
    ['ULA fc00::/7', 'https://[fc00::1]/', 'non-public-address'],
    ['ULA fd00::/8', 'https://[fdff:ffff::1]/', 'non-public-address'],
    ['AWS metadata over IPv6', 'https://[fd00:ec2::254]/latest/meta-data/', 'non-public-address'],
    ['link-local fe80::/10', 'https://[fe80::1]/', 'non-public-address'],
    ['link-local fe80::/10 top', 'https://[febf:ffff::1]/', 'non-public-address'],
    ['site-local fec0::/10', 'https://[fec0::1]/', 'non-public-address'],
    ['multicast', 'https://[ff02::1]/', 'non-public-address'],
    ['discard-only 100::/64', 'https://[100::1]/', 'non-public-address'],
    ['SRv6 5f00::/16', 'https://[5f00::1]/', 'non-public-address'],
    ['outside 2000::/3', 'https://[4000::1]/', 'non-public-address'],
    ['NAT64 to loopback', 'https://[64:ff9b::127.0.0.1]/', 'non-public-address'],
    ['NAT64 to metadata', 'https://[64:ff9b::a9fe:a9fe]/', 'non-public-address'],
    ['NAT64 to 10/8', 'https://[64:ff9b::a00:1]/', 'non-public-address'],
    ['local-use NAT64 64:ff9b:1::/48', 'https://[64:ff9b:1::808:808]/', 'non-public-address'],
    ['6to4 of loopback', 'https://[2002:7f00:1::]/', 'non-public-address'],
    ['6to4 of metadata', 'https://[2002:a9fe:a9fe::1]/', 'non-public-address'],
    ['6to4 of 192.168.1.1', 'https://[2002:c0a8:101::1]/', 'non-public-address'],
    ['Teredo 2001::/32', 'https://[2001:0:4136:e378::1]/', 'non-public-address'],
    ['documentation 2001:db8::/32', 'https://[2001:db8::1]/', 'non-public-address'],
    ['documentation 3fff::/20', 'https://[3fff::1]/', 'non-public-address'],

    // Names that are local by definition (DNS is not resolved).
    ['LOCALHOST', 'https://LOCALHOST/', 'local-name'],
    ['localhost with a trailing dot', 'https://localhost./', 'local-name'],
    [
      'full-width localhost',
      'https://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54/',
      'local-name',
    ],
    ['a localhost subdomain', 'https://api.localhost/', 'local-name'],
    ['mDNS .local', 'https://printer.local/', 'local-name'],
    ['.internal', 'https://metadata.google.internal/computeMetadata/v1/', 'local-name'],
    ['.internal with a trailing dot', 'https://metadata.google.internal./', 'local-name'],
    ['a single label', 'https://intranet/', 'local-name'],
    ['a single label with a trailing dot', 'https://intranet./', 'local-name'],
    ['a bare TLD', 'https://com/', 'local-name'],
    ['home.arpa', 'https://nas.home.arpa/', 'local-name'],
    ['.localdomain', 'https://localhost.localdomain/', 'local-name'],
    ['.lan', 'https://router.lan/', 'local-name'],
    ['.home', 'https://router.home/', 'local-name'],
    ['.corp', 'https://git.corp/', 'local-name'],
    ['.test', 'https://featurebase.test/', 'local-name'],
    ['.example', 'https://hooks.example/', 'local-name'],
    ['.invalid', 'https://x.invalid/', 'local-name'],
    ['.onion', 'https://abc.onion/', 'local-name'],

    // Host names that are not plain DNS names.
    ['a trailing dot', 'https://example.com./', 'bad-host'],
    ['two trailing dots on an IPv4 address', 'https://127.0.0.1../', 'bad-host'],
    ['an empty label', 'https://a..example.com/', 'bad-host'],
    ['a leading dot', 'https://.example.com/', 'bad-host'],
    ['a ! in the host', 'https://exa!mple.com/', 'bad-host'],
    ['a $ in the host', 'https://a$b.com/', 'bad-host'],
    ['a 64-character label', `https://${'a'.repeat(64)}.com/`, 'bad-host'],
    ['a 254-character name', `https://${`${'a'.repeat(62)}.`.repeat(4)}com/`, 'bad-host'],
  ];

  it.each(cases)('%s', (_, raw, reason) => {
    expect(checkPublicHttpsUrl(raw)).toEqual({ ok: false, reason });
  });

  it('accepts the longest name and label that DNS allows', () => {
    const name = `${`${'a'.repeat(63)}.`.repeat(3)}${'b'.repeat(61)}`;
    expect(name).toHaveLength(253);
    expect(checkPublicHttpsUrl(`https://${name}/`)).toEqual({
      ok: true,
      href: `https://${name}/`,
    });
  });

  it('refuses a 1 MB URL without parsing it: no dearer than one just over the limit', async () => {
    const huge = `https://${'a'.repeat(1_000_000)}.com/`;
    const justOver = longPath(PUBLIC_URL_MAX_LENGTH + 1);
    expect(checkPublicHttpsUrl(huge)).toEqual({ ok: false, reason: 'too-long' });
    expect(checkPublicHttpsUrl(justOver)).toEqual({ ok: false, reason: 'too-long' });
    // Refused on its length alone, the cost does not depend on it; parsing or scanning 1 MB
    // would cost hundreds of times the 2 KB one. Fastest of 15 batches of 2000 calls each,
    // alternating (test/support/timing.ts), so the machine's load cancels out.
    const cost = await compareFastest(
      () => checkPublicHttpsUrl(huge),
      () => checkPublicHttpsUrl(justOver),
      { rounds: 15, repeat: 2000 },
    );
    expect(cost.ratio, cost.note).toBeLessThan(5);
  });
});
