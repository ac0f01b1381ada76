// The gateway's own certificate authority for mutual TLS with engines on the network. It issues
// the gateway's client certificate and, on request (hosts.tlsSetup), a server certificate for an
// engine. Kept under <data-dir>/ca; keys are 0600. Certificates are made by the openssl CLI:
// node:crypto can generate keys but cannot sign X.509 certificates.
import { execFile as execFileCb } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFile = promisify(execFileCb);

export interface CertificatePair {
  cert: string;
  key: string;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await execFile('openssl', args, { cwd });
}

export class GatewayCA {
  private constructor(
    readonly dir: string,
    readonly caCert: string,
    private readonly caKeyPath: string,
    readonly client: CertificatePair,
  ) {}

  static async load(dataDir: string): Promise<GatewayCA> {
    const dir = join(dataDir, 'ca');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const caKey = join(dir, 'ca-key.pem');
    const caCert = join(dir, 'ca.pem');
    if (!(await exists(caCert)) || !(await exists(caKey))) {
      await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', caKey], dir);
      await chmod(caKey, 0o600);
      await openssl(
        [
          'req',
          '-x509',
          '-new',
          '-key',
          caKey,
          '-sha256',
          '-days',
          '3650',
          '-subj',
          `/CN=Berth gateway CA ${randomBytes(4).toString('hex')}`,
          '-addext',
          'basicConstraints=critical,CA:TRUE',
          '-addext',
          'keyUsage=critical,keyCertSign,cRLSign',
          '-out',
          caCert,
        ],
        dir,
      );
    }
    const ca = new GatewayCA(dir, await readFile(caCert, 'utf8'), caKey, { cert: '', key: '' });
    const clientCert = join(dir, 'client.pem');
    const clientKey = join(dir, 'client-key.pem');
    if (!(await exists(clientCert)) || !(await exists(clientKey))) {
      const pair = await ca.issue('berth-gateway', [], 'clientAuth');
      await writeFile(clientKey, pair.key, { mode: 0o600 });
      await writeFile(clientCert, pair.cert);
    }
    return new GatewayCA(dir, ca.caCert, caKey, {
      cert: await readFile(clientCert, 'utf8'),
      key: await readFile(clientKey, 'utf8'),
    });
  }

  /** A server certificate for an engine, valid for the given DNS names / IP addresses. */
  issueServer(names: string[]): Promise<CertificatePair> {
    return this.issue(names[0] ?? 'berthd', names, 'serverAuth');
  }

  private async issue(cn: string, names: string[], usage: 'serverAuth' | 'clientAuth'): Promise<CertificatePair> {
    if (!/^[A-Za-z0-9.*:_-]+$/.test(cn) || names.some((n) => !/^[A-Za-z0-9.*:_-]+$/.test(n))) {
      throw new Error('certificate names may contain only letters, digits and . * : _ -');
    }
    const work = await mkdtemp(join(this.dir, 'issue-'));
    try {
      const san = names.map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
      const ext = [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        `extendedKeyUsage=${usage}`,
        ...(san ? [`subjectAltName=${san}`] : []),
      ].join('\n');
      await writeFile(join(work, 'ext.cnf'), `${ext}\n`);
      await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'key.pem'], work);
      await openssl(['req', '-new', '-key', 'key.pem', '-subj', `/CN=${cn}`, '-out', 'req.csr'], work);
      await openssl(
        [
          'x509',
          '-req',
          '-in',
          'req.csr',
          '-CA',
          join(this.dir, 'ca.pem'),
          '-CAkey',
          this.caKeyPath,
          '-set_serial',
          `0x${randomBytes(16).toString('hex')}`,
          '-days',
          '825',
          '-sha256',
          '-extfile',
          'ext.cnf',
          '-out',
          'cert.pem',
        ],
        work,
      );
      return {
        cert: await readFile(join(work, 'cert.pem'), 'utf8'),
        key: await readFile(join(work, 'key.pem'), 'utf8'),
      };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
}
