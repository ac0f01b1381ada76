import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildSpec, ensureWorkdir, type SpecInput, writeEtcFiles } from '../../src/containers/spec.js';
import { isMountpoint, mountAll, unmount } from '../../src/mount/mount.js';
import type { HostConfig } from '../../src/types/docker.js';
import { uniqueId, useRuntimeHarness } from './harness.js';

// The spec builder and the runtime together, the way the daemon will use them: mount the rootfs,
// build config.json from image + container + host config, create the workdir, run it.
const h = useRuntimeHarness();
const mounted: string[] = [];

afterEach(async () => {
  for (const m of mounted.splice(0)) await unmount(m);
});

async function runSpec(
  config: Partial<SpecInput['config']>,
  hostConfig: HostConfig = {},
  image: SpecInput['image'] = {},
) {
  const id = uniqueId('spec');
  const containerDir = join(h.dir, 'containers', id);
  const bundle = join(containerDir, 'bundle');
  const rootfsDir = join(bundle, 'rootfs');
  await mkdir(rootfsDir, { recursive: true });
  const rootfs = [{ type: 'bind', source: h.rootfs, options: ['rbind', 'rw'] }];
  // Mounted first so the user can be resolved from the image's /etc/passwd.
  await mountAll(rootfs, rootfsDir);
  mounted.push(rootfsDir);
  const etcFiles = await writeEtcFiles(containerDir, {
    hostname: config.Hostname || id.slice(0, 12),
    extraHosts: ['db:10.9.8.7'],
  });
  const spec = await buildSpec({
    id,
    image,
    config: { Image: 'busybox', ...config },
    hostConfig,
    rootfsPath: rootfsDir,
    etcFiles,
    cgroupParent: 'berth-test',
  });
  await ensureWorkdir(rootfsDir, spec.process.cwd, spec.process.user.uid, spec.process.user.gid);
  await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
  const logPath = join(containerDir, 'ctr.log');
  await h.runtime.create({ id, bundle, rootfs, terminal: false, stdin: false, stdinOnce: true, logPath });
  try {
    await h.runtime.start(id);
    const { exitCode } = await h.runtime.wait(id);
    const out: string[] = [];
    for await (const e of h.runtime.readLogs(logPath, {})) if (e.stream === 'stdout') out.push(e.data.toString());
    return { exitCode, output: out.join(''), bundle, oomKilled: (await h.runtime.exitStatus(id))?.oomKilled };
  } finally {
    await h.runtime.delete(id, { force: true });
    // create() found the rootfs mounted and took it over: delete() unmounted it.
    expect(await isMountpoint(rootfsDir)).toBe(false);
  }
}

describe('buildSpec + ConmonRuntime', () => {
  it('runs as the image user with its groups, env, hostname and a created workdir', async () => {
    const r = await runSpec(
      {
        Cmd: ['sh', '-c', 'id; pwd; echo "$HOSTNAME $PATH $GREETING"; hostname; cat /etc/hosts | grep db'],
        Hostname: 'web1',
        Env: ['GREETING=hi'],
      },
      {},
      { User: 'app', WorkingDir: '/home/app/work', Env: ['PATH=/bin:/usr/bin'] },
    );
    expect(r.exitCode).toBe(0);
    const [id, pwd, env, hostname, hosts] = r.output.trim().split('\n');
    // busybox's id lists getgroups(): the supplementary groups from /etc/group, as docker sets them.
    expect(id).toBe('uid=1000(app) gid=1000(app) groups=50(staff)');
    expect(pwd).toBe('/home/app/work');
    expect(env).toBe('web1 /bin:/usr/bin hi');
    expect(hostname).toBe('web1');
    expect(hosts).toBe('10.9.8.7\tdb');
  });

  it('enforces a read-only rootfs, masked paths and the default capability set', async () => {
    const r = await runSpec(
      {
        Cmd: [
          'sh',
          '-c',
          'touch /x 2>/dev/null && echo rw || echo ro; touch /tmp2/x && echo tmpfs-rw; wc -c < /proc/timer_list; grep CapEff /proc/self/status',
        ],
      },
      { ReadonlyRootfs: true, Tmpfs: { '/tmp2': 'size=1m' } },
    );
    expect(r.exitCode).toBe(0);
    const [rw, tmpfs, kcore, capEff] = r.output.trim().split('\n');
    expect(rw).toBe('ro');
    expect(tmpfs).toBe('tmpfs-rw');
    expect(kcore?.trim()).toBe('0');
    // Docker's 14 default capabilities: 0x00000000a80425fb.
    expect(capEff).toBe('CapEff:\t00000000a80425fb');
  });

  it('passes the exit code and honours a bind mount', async () => {
    const data = join(h.dir, 'bind-data');
    await mkdir(data, { recursive: true });
    await writeFile(join(data, 'in'), 'from host\n');
    const r = await runSpec(
      { Cmd: ['sh', '-c', 'cat /data/in; echo out > /data/out; exit 4'] },
      { Binds: [`${data}:/data`] },
    );
    expect(r.exitCode).toBe(4);
    expect(r.output).toBe('from host\n');
    expect(await readFile(join(data, 'out'), 'utf8')).toBe('out\n');
  });

  it('reports an OOM kill under a memory limit', async () => {
    // The shell doubles a string until the 32 MiB limit (no swap) is hit.
    const r = await runSpec(
      { Cmd: ['sh', '-c', 'x=a; while true; do x="$x$x"; done'] },
      { Memory: 32 << 20, MemorySwap: 32 << 20 },
    );
    expect(r.exitCode).toBe(137);
    expect(r.oomKilled).toBe(true);
  });
});
