/**
 * The words of the synthetic corpus: registered domains, host names under them, address pools and the
 * rdata of each rrtype, all drawn from one seeded source and shaped like real passive DNS (common
 * labels, hashed CDN hosts, a few hot addresses shared by thousands of names).
 */
import type { Draw } from "./prng.js";

// biome-ignore format: a word list reads better packed
const SYLLABLES = [
  "ka", "lo", "mi", "ne", "ra", "to", "vi", "zu", "bel", "cor", "dan", "fel", "gar", "hol", "jin", "kes",
  "lum", "mor", "nix", "pal", "qua", "ros", "sen", "tar", "ul", "ven", "wis", "xan", "yor", "zel", "an",
  "er", "is", "on", "us", "tri", "bra", "cla", "dro", "fle", "gri", "pro", "sta", "tek", "net", "web",
  "soft", "data", "cloud", "shop", "tech", "media", "labs", "info",
];

// biome-ignore format: a weight table reads better packed
const TLDS: ReadonlyArray<readonly [string, number]> = [
  ["com", 40], ["net", 10], ["org", 8], ["de", 8], ["lu", 6], ["fr", 6], ["eu", 4], ["io", 4], ["be", 3],
  ["nl", 3], ["uk", 3], ["it", 2], ["ch", 2], ["info", 1],
];

// biome-ignore format: a weight table reads better packed
const COMMON_LABELS: ReadonlyArray<readonly [string, number]> = [
  ["www", 30], ["mail", 8], ["api", 6], ["app", 3], ["cdn", 4], ["m", 3], ["shop", 3], ["blog", 3],
  ["static", 3], ["vpn", 2], ["smtp", 2], ["webmail", 2], ["autodiscover", 2], ["img", 2], ["portal", 2],
  ["login", 2], ["dev", 2], ["test", 2], ["staging", 2], ["ns1", 1], ["ns2", 1], ["ftp", 1], ["git", 1],
  ["status", 1], ["docs", 1], ["support", 1], ["auth", 1], ["assets", 1], ["media", 1], ["beta", 1],
];

/** Address blocks kept out of the random pools, so that the planted "IP hit" has exactly its names. */
const RESERVED_V4 = [
  [0, 255, 255],
  [10, 255, 255],
  [127, 255, 255],
  [192, 0, 2],
  [198, 51, 100],
  [203, 0, 113],
] as const;

function isReservedV4(a: number, b: number, c: number): boolean {
  return (
    a >= 224 ||
    RESERVED_V4.some(([ra, rb, rc]) => ra === a && (rb === 255 || rb === b) && (rc === 255 || rc === c))
  );
}

export interface VocabularySizes {
  domains: number;
  ipv4: number;
  ipv6: number;
  cdnHosts: number;
  dnsProviders: number;
}

/** Pools every tuple draws from. */
export class Vocabulary {
  readonly domains: string[];
  readonly ipv4: string[];
  readonly ipv6: string[];
  readonly #cdnHosts: string[];
  readonly #dnsProviders: string[];
  readonly #mailProviders: string[];
  readonly #draw: Draw;

  constructor(draw: Draw, sizes: VocabularySizes) {
    this.#draw = draw;
    this.domains = this.#distinct(sizes.domains, () => `${this.word(3)}.${draw.weighted(TLDS)}`);
    this.ipv4 = this.#distinct(sizes.ipv4, () => this.#randomIpv4());
    this.ipv6 = this.#distinct(
      sizes.ipv6,
      // Non-zero groups around one "::" of three zero groups: already RFC 5952 canonical.
      () => `2a0${1 + draw.int(9)}:${this.#group()}:${this.#group()}:${this.#group()}::${this.#group()}`,
    );
    const cdnDomains = ["edgekey.net", "akamaiedge.net", "cloudfront.net", "fastly.net", "azureedge.net"];
    this.#cdnHosts = this.#distinct(
      sizes.cdnHosts,
      () => `${draw.pick(["e", "d", "a"])}${draw.hex(10)}.${draw.pick(cdnDomains)}`,
    );
    this.#dnsProviders = this.#distinct(sizes.dnsProviders, () => `${this.word(2)}dns.net`);
    this.#mailProviders = this.#distinct(40, () => `${this.word(2)}mail.com`);
  }

  /** A pronounceable word of 1 to `maxSyllables` syllables. */
  word(maxSyllables: number): string {
    let out = "";
    for (let n = 1 + this.#draw.int(maxSyllables); n > 0; n--) out += this.#draw.pick(SYLLABLES);
    return out;
  }

  /** A host label as seen under real domains: mostly common ones, some numbered, hashed or nested. */
  hostLabel(): string {
    const d = this.#draw;
    const kind = d.float();
    if (kind < 0.55) return d.weighted(COMMON_LABELS);
    if (kind < 0.7) return `${d.weighted(COMMON_LABELS)}${1 + d.int(20)}`;
    if (kind < 0.8) return `${d.weighted(COMMON_LABELS)}-${this.word(2)}`;
    if (kind < 0.9) return this.word(3);
    if (kind < 0.96) return `h${d.hex(10)}`;
    return `${d.weighted(COMMON_LABELS)}.${this.word(2)}`;
  }

  /** A random address of the IPv4 pool, hot ones far more often. */
  hotIpv4(): string {
    return this.ipv4[this.#draw.skewed(this.ipv4.length, 2.5)] as string;
  }

  /** The presentation type and answer of a record of `type`, as the passivedns sensor prints them. */
  answer(type: string, names: readonly string[]): { type: string; answer: string; ttl: number } {
    const d = this.#draw;
    const domain = () => d.pick(this.domains);
    switch (type) {
      case "A":
        return { type, answer: this.hotIpv4(), ttl: d.pick([60, 300, 3600]) };
      case "AAAA":
        return {
          type,
          answer: this.ipv6[d.skewed(this.ipv6.length, 2.5)] as string,
          ttl: d.pick([300, 3600]),
        };
      case "CNAME": {
        const target = d.float() < 0.5 ? this.#cdnHosts[d.skewed(this.#cdnHosts.length, 1.5)] : d.pick(names);
        return { type, answer: `${target}.`, ttl: d.pick([300, 3600]) };
      }
      case "TXT":
        return { type, answer: `"${this.#txt(domain())}"`, ttl: 3600 };
      case "NS":
        return { type, answer: `ns${1 + d.int(4)}.${d.pick(this.#dnsProviders)}.`, ttl: 86400 };
      case "MX": {
        const exchange =
          d.float() < 0.5 ? `mx${1 + d.int(2)}.${d.pick(this.#mailProviders)}` : `mail.${domain()}`;
        return { type, answer: `${exchange}.`, ttl: 3600 };
      }
      case "SOA":
        return { type, answer: `ns1.${d.pick(this.#dnsProviders)}.`, ttl: 3600 };
      case "SRV":
        return { type, answer: `${d.pick(["sip", "xmpp", "ldap", "autodiscover"])}.${domain()}.`, ttl: 3600 };
      case "HTTPS":
        // No mnemonic in the sensor's table: it prints the type number.
        return { type: "65", answer: `1 . alpn=h2,h3 ipv4hint=${this.hotIpv4()}`, ttl: 300 };
      case "CAA":
        return {
          type: "257",
          answer: `0 issue "${d.pick(["letsencrypt.org", "digicert.com", "sectigo.com"])}"`,
          ttl: 3600,
        };
      case "DS":
        return { type, answer: `${d.int(65536)} 13 2 ${d.hex(64)}`, ttl: 86400 };
      case "SSHFP":
        return { type, answer: `${1 + d.int(4)} 2 ${d.hex(64)}`, ttl: 3600 };
      default:
        throw new Error(`no answer generator for ${type}`);
    }
  }

  #txt(domain: string): string {
    const d = this.#draw;
    switch (d.int(5)) {
      case 0:
        return `v=spf1 include:_spf.${domain} ~all`;
      case 1:
        return `google-site-verification=${d.hex(43)}`;
      case 2:
        return `MS=ms${10_000_000 + d.int(89_999_999)}`;
      case 3:
        return `v=DMARC1; p=${d.pick(["none", "quarantine", "reject"])}; rua=mailto:dmarc@${domain}`;
      default:
        return d.hex(32);
    }
  }

  #group(): string {
    return (1 + this.#draw.int(0xfffe)).toString(16);
  }

  #randomIpv4(): string {
    for (;;) {
      const d = this.#draw;
      const [a, b, c] = [1 + d.int(223), d.int(256), d.int(256)];
      if (!isReservedV4(a, b, c)) return `${a}.${b}.${c}.${1 + d.int(254)}`;
    }
  }

  #distinct(size: number, make: () => string): string[] {
    const seen = new Set<string>();
    while (seen.size < size) seen.add(make());
    return [...seen];
  }
}
