// Everything a request handler may use, built once at start-up (see server.ts) and shared by
// the tRPC context, the REST routes and the shell WebSocket.
import type { AuditLog } from './audit/log.js';
import type { LoginLimiter } from './auth/rate-limit.js';
import type { Db, Provider } from './db/client.js';
import type { GatewayCA } from './hosts/ca.js';
import type { HostRegistry } from './hosts/registry.js';
import type { Logger } from './log.js';
import type { RecordingStore } from './recording/store.js';
import type { ShellManager } from './shells/manager.js';

export interface GatewayConfig {
  dataDir: string;
  /** Mark cookies Secure (set when the gateway is served over HTTPS or behind a TLS proxy). */
  secureCookies: boolean;
  /** Trust X-Forwarded-For from this many proxies (0 = use the socket address). */
  trustProxy: number;
}

export interface Services {
  db: Db;
  provider: Provider;
  log: Logger;
  audit: AuditLog;
  hosts: HostRegistry;
  ca: GatewayCA;
  limiter: LoginLimiter;
  shells: ShellManager;
  recordings: RecordingStore;
  config: GatewayConfig;
}
