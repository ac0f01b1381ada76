import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError } from '../errors.js';

/**
 * A CNI runtime (spec 1.0.0, section 3): runs the standard plugins from /usr/lib/cni the way
 * libcni does — exec with CNI_* variables and the plugin's configuration on stdin, a
 * network list chained through `prevResult`, DEL in reverse order with the cached result.
 * libcni is Go; the protocol is small enough that exec'ing the plugins directly is the
 * well-trodden path (podman's netavark and nerdctl's ocicni do the same).
 */

export const CNI_VERSION = '1.0.0';

/** One plugin entry of a network configuration list. */
export interface PluginConf {
  type: string;
  capabilities?: Record<string, boolean>;
  [key: string]: unknown;
}

export interface NetworkConfList {
  cniVersion: string;
  name: string;
  plugins: PluginConf[];
}

/** A CNI 1.0 result (the fields berthd reads). */
export interface CniResult {
  cniVersion: string;
  interfaces?: { name: string; mac?: string; sandbox?: string }[];
  ips?: { interface?: number; address: string; gateway?: string }[];
  routes?: { dst: string; gw?: string }[];
  dns?: Record<string, unknown>;
}

/** What one attachment needs: container, namespace, interface and capability arguments. */
export interface Attachment {
  containerId: string;
  netns: string;
  ifname: string;
  /** CNI_ARGS pairs. */
  args?: Record<string, string>;
  /** Capability arguments (portMappings, ips, …), passed only to plugins that declare them. */
  capabilityArgs?: Record<string, unknown>;
}

export class CniError extends EngineError {
  constructor(
    readonly plugin: string,
    readonly cniCode: number,
    msg: string,
  ) {
    super('INTERNAL', `plugin type="${plugin}" failed (code ${cniCode}): ${msg}`);
  }
}

export class Cni {
  constructor(readonly pluginDirs: string[] = ['/usr/lib/cni', '/opt/cni/bin']) {}

  /** ADD the attachment to every plugin of the list in order; returns the final result. */
  async add(list: NetworkConfList, att: Attachment): Promise<CniResult> {
    let prev: CniResult | undefined;
    for (const plugin of list.plugins) {
      prev = (await this.exec('ADD', list, plugin, att, prev)) as CniResult;
    }
    if (!prev) throw new EngineError('INTERNAL', `network ${list.name} has no plugins`);
    return prev;
  }

  /**
   * DEL in reverse order, each plugin given the cached ADD result. Every plugin runs even when
   * one fails (DEL must release what it can); the first failure is thrown afterwards.
   */
  async del(list: NetworkConfList, att: Attachment, cached?: CniResult): Promise<void> {
    let first: unknown;
    for (const plugin of [...list.plugins].reverse()) {
      try {
        await this.exec('DEL', list, plugin, att, cached);
      } catch (err) {
        first ??= err;
      }
    }
    if (first) throw first;
  }

  /** CHECK every plugin against the cached result; throws the plugin's error when not as expected. */
  async check(list: NetworkConfList, att: Attachment, cached: CniResult): Promise<void> {
    for (const plugin of list.plugins) await this.exec('CHECK', list, plugin, att, cached);
  }

  private async exec(
    command: 'ADD' | 'DEL' | 'CHECK',
    list: NetworkConfList,
    plugin: PluginConf,
    att: Attachment,
    prevResult: CniResult | undefined,
  ): Promise<unknown> {
    const conf: Record<string, unknown> = { ...plugin, cniVersion: list.cniVersion, name: list.name };
    delete conf.capabilities;
    const runtimeConfig: Record<string, unknown> = {};
    for (const [cap, on] of Object.entries(plugin.capabilities ?? {})) {
      if (on && att.capabilityArgs?.[cap] !== undefined) runtimeConfig[cap] = att.capabilityArgs[cap];
    }
    if (Object.keys(runtimeConfig).length > 0) conf.runtimeConfig = runtimeConfig;
    if (prevResult) conf.prevResult = prevResult;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: command,
      CNI_CONTAINERID: att.containerId,
      CNI_NETNS: att.netns,
      CNI_IFNAME: att.ifname,
      CNI_PATH: this.pluginDirs.join(':'),
      CNI_ARGS: Object.entries({ IgnoreUnknown: '1', ...att.args })
        .map(([k, v]) => `${k}=${v}`)
        .join(';'),
    };
    const { code, stdout, stderr } = await runPlugin(this.pluginPath(plugin.type), env, JSON.stringify(conf));
    if (code !== 0) {
      let msg = stderr.trim() || `exit status ${code}`;
      let cniCode = code;
      try {
        const e = JSON.parse(stdout) as { code?: number; msg?: string; details?: string };
        cniCode = e.code ?? code;
        msg = [e.msg, e.details].filter(Boolean).join(': ') || msg;
      } catch {
        // not JSON: keep stderr
      }
      throw new CniError(plugin.type, cniCode, msg);
    }
    return command === 'ADD' ? JSON.parse(stdout) : undefined;
  }

  /** Where each plugin was found: looked up once, not on every run. */
  private readonly paths = new Map<string, string>();

  private pluginPath(type: string): string {
    const known = this.paths.get(type);
    if (known) return known;
    if (!/^[A-Za-z0-9_.-]+$/.test(type)) throw new EngineError('BAD_PARAMETER', `invalid CNI plugin type ${type}`);
    const dir = this.pluginDirs.find((d) => existsSync(join(d, type)));
    if (!dir)
      throw new EngineError('INTERNAL', `failed to find plugin "${type}" in path [${this.pluginDirs.join(' ')}]`);
    this.paths.set(type, join(dir, type));
    return join(dir, type);
  }
}

function runPlugin(
  path: string,
  env: NodeJS.ProcessEnv,
  stdin: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => reject(new EngineError('INTERNAL', `CNI plugin ${path}: ${e.message}`)));
    child.on('close', (code) =>
      resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    );
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
  });
}
