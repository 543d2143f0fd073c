import { BlockList, isIP } from 'node:net';

/**
 * Addresses a fetch must never reach unless private networks are explicitly allowed:
 * an ingest URL is caller-controlled, and without this guard it could read cloud metadata
 * (169.254.169.254) or services on the worker's own network (SSRF).
 */
const forbidden = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this" network, unspecified
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  forbidden.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
  ['::', 96], // IPv4-compatible (::a.b.c.d, deprecated): reaches the IPv4 host on some stacks
  ['64:ff9b::', 96], // NAT64 can reach IPv4 private space
  ['64:ff9b:1::', 48], // local-use NAT64 (RFC 8215): a site's own translator, same reach
  ['2002::', 16], // 6to4: embeds an IPv4 address (2002:7f00:1:: is 127.0.0.1's)
  ['2001::', 32], // Teredo: tunnels to an embedded (obfuscated) IPv4 address
] as const) {
  forbidden.addSubnet(network, prefix, 'ipv6');
}

const IPV4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;
const IPV4_MAPPED_HEX = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i;

/** The judgement a fetch applies to every address it is about to connect to. */
export interface AddressPolicy {
  isAllowed(address: string): boolean;
}

export interface AddressPolicyOptions {
  /** Allow every address, private ones included (ALLOW_PRIVATE_NETWORKS). */
  allowPrivateNetworks: boolean;
  /**
   * CIDRs (or single addresses) allowed although private, e.g. the subnet of an internal
   * archive server, so opening one host does not mean opening the whole network.
   */
  allowedNetworks?: readonly string[] | undefined;
}

export function createAddressPolicy(options: AddressPolicyOptions): AddressPolicy {
  if (options.allowPrivateNetworks) return { isAllowed: () => true };
  const exceptions = parseNetworks(options.allowedNetworks ?? []);
  return {
    isAllowed(address) {
      if (!isForbiddenAddress(address)) return true;
      const bare = unmapped(address.replace(/^\[|\]$/g, ''));
      const family = isIP(bare);
      return family !== 0 && exceptions.check(bare, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

/** Parses `10.1.0.0/16`, `fd00::/8` or a bare address; throws RangeError naming a bad entry. */
export function parseNetworks(networks: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of networks) {
    const [address = '', prefixText] = entry.trim().split('/');
    const family = isIP(address);
    const maxPrefix = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? maxPrefix : Number(prefixText);
    if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > maxPrefix) {
      throw new RangeError(`not a network: ${JSON.stringify(entry)} (expected e.g. 10.1.0.0/16 or fd00::/8)`);
    }
    list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

/** `::ffff:a.b.c.d` (either spelling) as the IPv4 address it reaches; anything else as is. */
function unmapped(bare: string): string {
  const dotted = IPV4_MAPPED.exec(bare);
  if (dotted) return dotted[1]!;
  const hex = IPV4_MAPPED_HEX.exec(bare);
  if (!hex) return bare;
  const high = Number.parseInt(hex[1]!, 16);
  const low = Number.parseInt(hex[2]!, 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

export function isForbiddenAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  if (family === 4) return forbidden.check(bare, 'ipv4');
  if (family !== 6) return true; // not an address at all: refuse rather than guess
  // IPv4-mapped IPv6 (::ffff:127.0.0.1) reaches the IPv4 host: judge it as one.
  const ipv4 = unmapped(bare);
  if (ipv4 !== bare) return forbidden.check(ipv4, 'ipv4');
  return forbidden.check(bare, 'ipv6');
}
