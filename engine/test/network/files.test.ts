import { describe, expect, it } from 'vitest';
import {
  addHostsRecord,
  buildHosts,
  buildResolvConf,
  filterResolvDns,
  hostsRecord,
  removeHostsAddress,
} from '../../src/network/files.js';
import { canonicalCidr, checkSubnet, overlaps, pickSubnet } from '../../src/network/ipam.js';
import { parsePortKey, portRequests, portsSetting } from '../../src/network/ports.js';

const LOCAL = `127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
fe00::0\tip6-localnet
ff00::0\tip6-mcastprefix
ff02::1\tip6-allnodes
ff02::2\tip6-allrouters
`;

describe('/etc/hosts', () => {
  it('has the loopback lines, --add-host lines, then the container record', () => {
    expect(buildHosts({ hostname: 'abc123def456', ip: '172.31.0.2' })).toBe(`${LOCAL}172.31.0.2\tabc123def456\n`);
    expect(
      buildHosts({
        hostname: 'web',
        domainname: 'example.com',
        ip: '10.0.0.5',
        extraHosts: ['db:10.0.0.9', 'v6host:::1', 'gw:host-gateway'],
        hostGatewayIp: '172.31.0.1',
      }),
    ).toBe(`${LOCAL}10.0.0.9\tdb\n::1\tv6host\n172.31.0.1\tgw\n10.0.0.5\tweb.example.com web\n`);
  });

  it('has no container record without an address (--network none)', () => {
    expect(buildHosts({ hostname: 'x' })).toBe(LOCAL);
  });

  it('has one record per network address; connect adds one, disconnect drops only its own', () => {
    const two = buildHosts({ hostname: 'h', ips: ['172.31.0.2', '10.9.0.3'] });
    expect(two).toBe(`${LOCAL}172.31.0.2\th\n10.9.0.3\th\n`);
    // What the user added inside the container stays.
    const edited = `${two}192.0.2.7\tmine`;
    const connected = addHostsRecord(edited, hostsRecord('10.8.0.4', 'h', 'corp'));
    expect(connected).toBe(`${two}192.0.2.7\tmine\n10.8.0.4\th.corp h\n`);
    expect(removeHostsAddress(connected, '10.9.0.3')).toBe(
      `${LOCAL}172.31.0.2\th\n192.0.2.7\tmine\n10.8.0.4\th.corp h\n`,
    );
    // 10.8.0.4 is not a prefix match for 10.8.0.40.
    expect(removeHostsAddress(`${LOCAL}10.8.0.40\tother\n`, '10.8.0.4')).toBe(`${LOCAL}10.8.0.40\tother\n`);
  });
});

describe('/etc/resolv.conf', () => {
  const host = 'search corp.example\nnameserver 127.0.0.53\nnameserver 10.1.1.1\nnameserver fd00::1\noptions edns0\n';

  it('filters loopback and IPv6 servers from the host file, falling back to Google DNS', () => {
    expect(filterResolvDns(host)).toBe('search corp.example\nnameserver 10.1.1.1\noptions edns0\n');
    expect(filterResolvDns('nameserver 127.0.0.53\n')).toBe('nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
    expect(buildResolvConf({ host })).toBe('search corp.example\nnameserver 10.1.1.1\noptions edns0\n');
  });

  it('rebuilds from --dns/--dns-search/--dns-option, taking what is missing from the host', () => {
    expect(buildResolvConf({ host, dns: ['1.1.1.1'] })).toBe(
      'search corp.example\nnameserver 1.1.1.1\noptions edns0\n',
    );
    expect(buildResolvConf({ host, dnsSearch: ['a.test', 'b.test'], dnsOptions: ['ndots:3'] })).toBe(
      'search a.test b.test\nnameserver 10.1.1.1\noptions ndots:3\n',
    );
    expect(buildResolvConf({ host, dnsSearch: ['.'], dns: ['9.9.9.9'] })).toBe('nameserver 9.9.9.9\noptions edns0\n');
  });

  it('points user-network containers at the network DNS server with ndots:0', () => {
    expect(buildResolvConf({ host, embeddedDns: '172.30.0.1' })).toBe(
      'search corp.example\nnameserver 172.30.0.1\noptions edns0 ndots:0\n',
    );
    expect(buildResolvConf({ host, embeddedDns: '172.30.0.1', dns: ['1.1.1.1'], dnsOptions: ['ndots:2'] })).toBe(
      'search corp.example\nnameserver 172.30.0.1\noptions ndots:2\n',
    );
  });
});

describe('subnets', () => {
  it('validates --subnet/--gateway/--ip-range with Docker errors', () => {
    expect(checkSubnet({ Subnet: '10.5.1.7/16' })).toEqual({ subnet: '10.5.0.0/16', gateway: '10.5.0.1' });
    expect(checkSubnet({ Subnet: '10.5.0.0/16', Gateway: '10.5.9.9', IPRange: '10.5.4.0/24' })).toEqual({
      subnet: '10.5.0.0/16',
      gateway: '10.5.9.9',
      ipRange: '10.5.4.0/24',
    });
    expect(() => checkSubnet({ Subnet: '10.5.0.0/16', Gateway: '10.6.0.1' })).toThrow(
      'no matching subnet for gateway 10.6.0.1',
    );
    expect(() => checkSubnet({ Subnet: 'nonsense' })).toThrow('invalid subnet: nonsense');
    expect(() => checkSubnet({ Subnet: '10.5.0.0/16', IPRange: '10.7.0.0/24' })).toThrow(
      'no matching subnet for range',
    );
  });

  it('picks the first pool that overlaps nothing in use', () => {
    expect(overlaps('10.0.0.0/8', '10.3.0.0/16')).toBe(true);
    expect(overlaps('10.0.0.0/16', '10.1.0.0/16')).toBe(false);
    expect(canonicalCidr('192.168.5.77/20')).toBe('192.168.0.0/20');
    expect(pickSubnet(['172.30.0.0/16', '172.29.0.0/16', '172.28.0.0/16'], ['172.30.5.0/24', '172.29.0.0/16'])).toBe(
      '172.28.0.0/16',
    );
    expect(pickSubnet(['172.30.0.0/16'], ['172.0.0.0/8'])).toBeUndefined();
  });
});

describe('published ports', () => {
  it('expands PortBindings and -P into requests', () => {
    expect(parsePortKey('53/udp')).toEqual([53, 'udp']);
    expect(parsePortKey('8080')).toEqual([8080, 'tcp']);
    expect(() => parsePortKey('http/tcp')).toThrow('invalid port specification: "http/tcp"');
    const reqs = portRequests(
      {
        PortBindings: {
          '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }, { HostPort: '' }],
          '53/udp': [{ HostPort: '5300-5310' }],
        },
        PublishAllPorts: true,
      },
      { '80/tcp': {}, '443/tcp': {}, '53/udp': {} },
    );
    expect(reqs).toEqual([
      { containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPorts: [8080, 8080] },
      { containerPort: 80, protocol: 'tcp', hostIp: '0.0.0.0', hostPorts: [0, 0] },
      { containerPort: 53, protocol: 'udp', hostIp: '0.0.0.0', hostPorts: [5300, 5310] },
      { containerPort: 443, protocol: 'tcp', hostIp: '0.0.0.0', hostPorts: [0, 0] },
    ]);
    expect(portRequests({ PortBindings: { '80/tcp': [{}] } }, { '443/tcp': {} })).toHaveLength(1);
  });

  it('shows NetworkSettings.Ports as Docker does (null for exposed only)', () => {
    expect(
      portsSetting({ '80/tcp': {}, '9000/udp': {} }, [
        { containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 49153 },
        { containerPort: 80, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080 },
      ]),
    ).toEqual({
      '80/tcp': [
        { HostIp: '127.0.0.1', HostPort: '49153' },
        { HostIp: '0.0.0.0', HostPort: '8080' },
      ],
      '9000/udp': null,
    });
  });
});
