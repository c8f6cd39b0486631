/**
 * Examples of the OpenAPI document: what this server answers after ingesting the project's samples
 * (`pdns-pssl ingest passivedns shared/samples/passivedns.txt` and `ingest ja3-jl
 * shared/samples/ja3-jl.ndjson`), byte for byte, except those marked illustrative; test/openapi-served.test.ts
 * sends each request against a server fed those files and compares. Bodies are built with JSON.stringify
 * from objects whose keys are in the order the server writes them.
 */

const ndjson = (lines: readonly unknown[]): string =>
  lines.map((line) => `${JSON.stringify(line)}\n`).join("");

const cof = (rrname: string, rrtype: string, rdata: string, first: number, last: number, count: number) => ({
  rrname,
  rrtype,
  rdata,
  time_first: first,
  time_last: last,
  count,
  origin: "pdns-pssl",
});

const WWW_A = cof("www.example.lu", "A", "192.0.2.11", 1795666358, 1795666366, 6);
const WWW_AAAA = cof("www.example.lu", "AAAA", "2001:db8:10::11", 1795666358, 1795666366, 3);
const BLOG_CNAME = cof("blog.example.lu", "CNAME", "www.example.lu", 1795666359, 1795666366, 6);
const PTR6 = cof(
  "1.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
  "PTR",
  "www.example.lu",
  1795666360,
  1795666368,
  3,
);
const PTR4 = cof("11.2.0.192.in-addr.arpa", "PTR", "www.example.lu", 1795666360, 1795666368, 3);
const APEX_A = cof("example.lu", "A", "192.0.2.10", 1795666358, 1795666366, 3);

/** A COF record, for the record schema. */
export const COF_RECORD = WWW_A;

/** GET /pdns/query/www.example.lu: the name's records and the records pointing to it. */
export const PDNS_QUERY = ndjson([WWW_A, BLOG_CNAME, PTR6, PTR4, WWW_AAAA]);

/** GET /query/www.example.lu (D4 route): the name's own records. */
export const D4_QUERY = ndjson([WWW_A, WWW_AAAA]);

/** GET /fquery/www.example.lu (D4 route): the records whose rdata is the name. */
export const D4_FQUERY = ndjson([BLOG_CNAME, PTR6, PTR4]);

/** GET /pdns/rcodes/doesnotexist.example.lu. */
export const RCODES = ndjson([
  {
    rrname: "doesnotexist.example.lu",
    rrtype: "A",
    rcode: "NXDOMAIN",
    time_first: 1795666361,
    time_last: 1795666361,
    count: 1,
  },
]);

/** The body of the bulk example. */
export const BULK_REQUEST = ["www.example.lu", { value: "192.0.2.0/24", rrtype: "A", limit: 2 }];

/** POST /pdns/bulk with BULK_REQUEST. */
export const BULK_ANSWER = ndjson([
  ...[WWW_A, BLOG_CNAME, PTR6, PTR4, WWW_AAAA].map((record) => ({ query: "www.example.lu", ...record })),
  { query: "www.example.lu", summary: { records: 5, limited: false } },
  ...[APEX_A, WWW_A].map((record) => ({ query: "192.0.2.0/24", ...record })),
  {
    query: "192.0.2.0/24",
    summary: { records: 2, limited: true, cursor: "9086520134704181022117985013410502" },
  },
]);

const safObj = (record: ReturnType<typeof cof>) => ({
  obj: {
    rrname: record.rrname,
    rrtype: record.rrtype,
    rdata: [record.rdata],
    time_first: record.time_first,
    time_last: record.time_last,
    count: record.count,
  },
});

/** GET /dnsdb/v2/lookup/rrset/name/www.example.lu. */
export const DNSDB_LOOKUP = ndjson([
  { cond: "begin" },
  safObj(WWW_A),
  safObj(WWW_AAAA),
  { cond: "succeeded" },
]);

/** GET /dnsdb/v2/lookup/rrset/name/*.example.lu?limit=2: cut at the limit, with the cursor to the rest. */
export const DNSDB_LOOKUP_LIMITED = ndjson([
  { cond: "begin" },
  {
    obj: {
      rrname: "_dmarc.example.lu",
      rrtype: "TXT",
      rdata: ["v=DMARC1; p=reject; rua=mailto:dmarc-reports@example.lu; pct=100"],
      time_first: 1795666359,
      time_last: 1795666367,
      count: 3,
    },
  },
  {
    obj: {
      rrname: "_xmpp-client._tcp.example.lu",
      rrtype: "SRV",
      rdata: ["xmpp.example.lu"],
      time_first: 1795666360,
      time_last: 1795666367,
      count: 3,
    },
  },
  {
    cond: "limited",
    msg: "Result limit reached",
    cursor: "AV94bXBwLWNsaWVudC5fdGNwLmV4YW1wbGUubHUAACGKa5K0nOz60Q",
  },
]);

/** GET /dnsdb/v2/summarize/rrset/name/www.example.lu. */
export const DNSDB_SUMMARIZE = ndjson([
  { cond: "begin" },
  { obj: { count: 9, num_results: 2, time_first: 1795666358, time_last: 1795666366 } },
  { cond: "succeeded" },
]);

/** An answer that failed after it began (illustrative: the sample data cannot make one). */
export const DNSDB_FAILED = ndjson([
  { cond: "begin" },
  { cond: "failed", msg: "internal error while reading records (request 3f1c...)" },
]);

/** GET /info. */
export const INFO = {
  version: "0.1.0",
  software: "pdns-pssl",
  stats: 216,
  sensors: [{ sensor_id: "sensor-1", count: 216 }],
};

const SHA1 = "9944a665e9a9701a9e0e6246bb49bbd182b1d9c8";

/** GET /v2pssl/cquery/9944a665e9a9701a9e0e6246bb49bbd182b1d9c8. */
export const PSSL_CQUERY = { certificate: SHA1, seen: ["127.0.0.1"], hits: 1 };

/** GET /v2pssl/csightings/9944a665e9a9701a9e0e6246bb49bbd182b1d9c8. */
export const PSSL_CSIGHTINGS = {
  certificate: SHA1,
  sightings: [{ ip: "127.0.0.1", port: 8443, first_seen: 1795666619, last_seen: 1795666632, count: 11 }],
  truncated: false,
};

/** GET /v2pssl/ja3s/ec74a5c51106f0419184d0dd08fb05bc. */
export const PSSL_JA3S = {
  ja3s: "ec74a5c51106f0419184d0dd08fb05bc",
  string: "771,49200,65281-11-35-23",
  sightings: [
    {
      ip: "127.0.0.1",
      port: 8443,
      certificate: SHA1,
      first_seen: 1795666619,
      last_seen: 1795666632,
      count: 6,
    },
    {
      ip: "127.0.0.1",
      port: 8445,
      certificate: "a5e67d8008977e90d49e57e27d24ebf49069ad96",
      first_seen: 1795666623,
      last_seen: 1795666625,
      count: 5,
    },
    {
      ip: "127.0.0.1",
      port: 8446,
      certificate: "d933d5d88b39a6713c80a6054c660e5f696e20e9",
      first_seen: 1795666625,
      last_seen: 1795666627,
      count: 5,
    },
  ],
  truncated: false,
};

/** GET /v2pssl/csearch/www.example.lu. */
export const PSSL_CSEARCH = {
  query: "www.example.lu",
  certificates: [
    {
      sha1: SHA1,
      subject: "C=LU, L=Luxembourg, O=Example Luxembourg, CN=www.example.lu",
      issuer: "C=LU, O=D4 Sample PKI, OU=Test Issuing, CN=D4 Sample Issuing CA 1",
      not_before: "2026-11-26T04:14:39+00:00",
      not_after: "2027-12-28T04:14:39+00:00",
      names: ["www.example.lu", "example.lu", "*.example.lu"],
    },
  ],
  truncated: false,
};

/** GET /v2pssl/query/<ip>, shortened to one certificate (illustrative). */
export const PSSL_QUERY = {
  "127.0.0.1": {
    certificates: [SHA1],
    subjects: { [SHA1]: { values: ["C=LU, L=Luxembourg, O=Example Luxembourg, CN=www.example.lu"] } },
  },
};

/** GET /v2pssl/cfetch/<sha1>, with the PEMs shortened (illustrative). */
export const PSSL_CFETCH = {
  pem: "-----BEGIN CERTIFICATE-----\nMIIFTTCCA7WgAwIBAgIUEGQEuDKjG8hd9tB79QwZmuZoS6kwDQYJKoZIhvcNAQEL\n...\n-----END CERTIFICATE-----\n",
  info: {
    subject: "C=LU, L=Luxembourg, O=Example Luxembourg, CN=www.example.lu",
    issuer: "C=LU, O=D4 Sample PKI, OU=Test Issuing, CN=D4 Sample Issuing CA 1",
    fingerprint: SHA1.toUpperCase(),
    keylength: 2048,
    key: "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwPERFSQSdN2c6Lu98t9i\n...\n-----END PUBLIC KEY-----\n",
    not_before: "2026-11-26T04:14:39+00:00",
    not_after: "2027-12-28T04:14:39+00:00",
    extension: {
      basicConstraints: "CA:FALSE",
      keyUsage: "Digital Signature, Key Encipherment",
      extendedKeyUsage: "TLS Web Server Authentication, TLS Web Client Authentication",
      subjectAltName:
        "DNS:www.example.lu, DNS:example.lu, DNS:*.example.lu, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1",
    },
  },
};

/** A line of each TLS sample, as POST /ingest/ja3-jl and /ingest/eve take them. */
export const INGEST_JA3_JL =
  '{"ServerIP":"127.0.0.1","ServerPort":"8443","ClientIP":"127.0.0.1","ClientPort":"47268","TLSH":"","Timestamp":"2026-11-26T04:17:12.456822Z","JA3":"771,49196-49200-159-52393-52392-52394-49195-49199-158-49188-49192-107-49187-49191-103-49162-49172-57-49161-49171-51-157-156-61-60-53-47-255,0-11-10-35-22-23-13,29-23-30-25-24,0-1-2","JA3Digest":"871a754af286dfb70c1b53c6887c62e0","JA3S":"771,49200,65281-23","JA3SDigest":"fd4bc6cea4877646ccd62f0792ec0b62","Certificates":null}\n';
export const INGEST_EVE =
  '{"timestamp":"2026-11-26T04:17:12.456883+0000","flow_id":412617250442592,"pcap_cnt":784,"event_type":"tls","src_ip":"127.0.0.1","src_port":47260,"dest_ip":"127.0.0.1","dest_port":8443,"proto":"TCP","pkt_src":"wire/pcap","tls":{"session_resumed":true,"sni":"www.example.lu","version":"TLS 1.2","ja3":{"hash":"871a754af286dfb70c1b53c6887c62e0","string":"771,49196-49200-159-52393-52392-52394-49195-49199-158-49188-49192-107-49187-49191-103-49162-49172-57-49161-49171-51-157-156-61-60-53-47-255,0-11-10-35-22-23-13,29-23-30-25-24,0-1-2"},"ja3s":{"hash":"fd4bc6cea4877646ccd62f0792ec0b62","string":"771,49200,65281-23"}}}\n';

/** A line of the passivedns sample. */
export const INGEST_PASSIVEDNS =
  "1795666358.903112||127.0.0.1||127.0.0.53||IN||www.example.lu.||A||192.0.2.11||3600||1\n";
