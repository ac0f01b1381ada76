import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDaemon } from '../support/berthd.js';

const d = new TestDaemon();
let pki: string;
let port: number;

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: pki, stdio: 'ignore' });
}

function issue(name: string, ext: string): void {
  openssl([
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${name}-key.pem`,
    '-subj',
    `/CN=${name}`,
    '-out',
    `${name}.csr`,
  ]);
  execFileSync('sh', ['-c', `printf '${ext}' > ${name}.ext`], { cwd: pki });
  openssl([
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca-key.pem',
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    `${name}.pem`,
    '-extfile',
    `${name}.ext`,
  ]);
}

beforeAll(async () => {
  pki = mkdtempSync('/tmp/bt-pki-');
  openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=berth-test-ca',
  ]);
  issue('server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  issue('client', 'extendedKeyUsage=clientAuth\n');
  port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  await d.start([
    '--host',
    `tcp://127.0.0.1:${port}`,
    '--tlscacert',
    join(pki, 'ca.pem'),
    '--tlscert',
    join(pki, 'server.pem'),
    '--tlskey',
    join(pki, 'server-key.pem'),
  ]);
});
afterAll(async () => {
  await d.cleanup();
  rmSync(pki, { recursive: true, force: true });
});

describe('TCP with mutual TLS', () => {
  it('serves a client with a certificate signed by the CA', () => {
    const r = spawnSync(
      'docker',
      [
        '--tlsverify',
        '--tlscacert',
        join(pki, 'ca.pem'),
        '--tlscert',
        join(pki, 'client.pem'),
        '--tlskey',
        join(pki, 'client-key.pem'),
        '-H',
        `tcp://127.0.0.1:${port}`,
        'version',
        '--format',
        '{{.Server.Version}}',
      ],
      { env: { ...process.env, DOCKER_CONFIG: pki } },
    );
    expect(r.stderr.toString()).toBe('');
    expect(r.stdout.toString().trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('refuses a client without a certificate', () => {
    const r = spawnSync('curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '--cacert',
      join(pki, 'ca.pem'),
      `https://127.0.0.1:${port}/_ping`,
    ]);
    expect(r.stdout.toString()).toBe('000');
    expect(r.status).not.toBe(0);
  });

  it('refuses a client whose certificate another CA signed', () => {
    openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'rogue-key.pem',
      '-out',
      'rogue.pem',
      '-days',
      '2',
      '-subj',
      '/CN=rogue',
    ]);
    const r = spawnSync('curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '--cacert',
      join(pki, 'ca.pem'),
      '--cert',
      join(pki, 'rogue.pem'),
      '--key',
      join(pki, 'rogue-key.pem'),
      `https://127.0.0.1:${port}/_ping`,
    ]);
    expect(r.status).not.toBe(0);
  });
});
