import { describe, expect, it } from 'vitest';
import { createAddressPolicy, isForbiddenAddress, parseNetworks } from './address-policy.ts';

describe('isForbiddenAddress', () => {
  it.each([
    '127.0.0.1',
    '127.8.9.10',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '0.0.0.0',
    '100.64.0.1',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:a9fe:a9fe',
    '::7f00:1',
    '::127.0.0.1',
    '::a00:1',
    '64:ff9b:1::a00:1',
    '64:ff9b:1:ffff::1',
    '2002:7f00:1::1',
    '2002:a9fe:a9fe::',
    '2001:0:4136:e378:8000:63bf:3fff:fdd2',
    '[::1]',
    'not-an-address',
  ])('refuses %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(true);
  });

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])('allows public %s', (address) => {
    expect(isForbiddenAddress(address)).toBe(false);
  });
});

describe('createAddressPolicy', () => {
  it('allows everything when private networks are allowed', () => {
    expect(createAddressPolicy({ allowPrivateNetworks: true }).isAllowed('127.0.0.1')).toBe(true);
  });

  it('allows exactly the listed private networks, in either IPv4 spelling', () => {
    const policy = createAddressPolicy({ allowPrivateNetworks: false, allowedNetworks: ['127.0.0.2/32', '10.20.0.0/16', 'fd12::/16'] });
    for (const address of ['127.0.0.2', '::ffff:127.0.0.2', '::ffff:7f00:2', '10.20.3.4', 'fd12::1', '8.8.8.8']) {
      expect(policy.isAllowed(address), address).toBe(true);
    }
    for (const address of ['127.0.0.1', '::ffff:127.0.0.1', '10.21.0.1', '169.254.169.254', '::1', 'fd13::1', 'nonsense']) {
      expect(policy.isAllowed(address), address).toBe(false);
    }
  });
});

describe('parseNetworks', () => {
  it.each(['10.0.0.0/33', 'fd00::/129', 'example.org/8', '10.0.0.0/x', ''])('refuses %j', (network) => {
    expect(() => parseNetworks([network])).toThrow(RangeError);
  });
});
