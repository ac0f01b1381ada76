// Plain-HTTP routes for what does not fit RPC: downloading a recording, exporting the audit
// trail, and uploading image tarballs. Same authentication as tRPC (cookie or Bearer token),
// same role rules, and uploads are audited like any mutation.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { CSV_HEADER, toCsvLine, toJsonLine } from '../audit/export.js';
import { atLeast, roleOnHost } from '../auth/roles.js';
import { authenticate, clientAddress } from '../context.js';
import { BerthError, Errors, errorCode } from '../errors.js';
import { auditFilterSchema } from '../routers/audit.js';
import { canViewSession } from '../routers/shells.js';
import type { Services } from '../services.js';
import { sendError, sendJson } from './respond.js';

const RECORDING = /^\/api\/shells\/([A-Za-z0-9_-]{1,64})\/recording$/;
const IMAGE_UPLOAD = /^\/api\/hosts\/([A-Za-z0-9_-]{1,64})\/images\/(load|import)$/;

export async function handleApi(
  services: Services,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  try {
    const who = await authenticate(services, req);
    if (!who) throw Errors.NOT_SIGNED_IN();
    if (who.user.mustChangePassword) throw Errors.PASSWORD_CHANGE_REQUIRED();
    const user = who.user;

    const recording = RECORDING.exec(url.pathname);
    if (recording && req.method === 'GET') {
      const row = await services.db.execSession.findUnique({ where: { id: recording[1]! } });
      if (!row || !(await canViewSession(services.db, user, row)) || !row.recordingKey) {
        throw Errors.NOT_FOUND('recording', recording[1]!);
      }
      const stream = await services.recordings.open(row.recordingKey);
      if (!stream) throw Errors.NOT_FOUND('recording', row.id);
      res.writeHead(200, {
        'content-type': 'application/x-asciicast; charset=utf-8',
        'content-disposition': `attachment; filename="${row.id}.cast"`,
        'cache-control': 'no-store',
      });
      await pipeline(stream, res);
      return;
    }

    if (url.pathname === '/api/audit/export' && req.method === 'GET') {
      const format = url.searchParams.get('format') === 'csv' ? 'csv' : 'jsonl';
      const parsed = auditFilterSchema.safeParse(Object.fromEntries(url.searchParams));
      if (!parsed.success) throw Errors.BAD_INPUT(parsed.error.issues.map((i) => i.message).join('; '));
      const filter = parsed.data;
      if (!user.isAdmin) {
        if (!filter.hostId || !atLeast(await roleOnHost(services.db, user, filter.hostId), 'admin'))
          throw Errors.ADMIN_REQUIRED();
      }
      res.writeHead(200, {
        'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
        'content-disposition': `attachment; filename="berth-audit.${format}"`,
        'cache-control': 'no-store',
      });
      if (format === 'csv') res.write(CSV_HEADER);
      for await (const event of services.audit.iterate(filter)) {
        if (!res.write(format === 'csv' ? toCsvLine(event) : toJsonLine(event))) {
          await new Promise((resolve) => res.once('drain', resolve));
        }
      }
      res.end();
      return;
    }

    const upload = IMAGE_UPLOAD.exec(url.pathname);
    if (upload && req.method === 'POST') {
      await imageUpload(services, req, res, url, user, upload[1]!, upload[2] as 'load' | 'import');
      return;
    }
    throw Errors.NOT_FOUND('route', url.pathname);
  } catch (err) {
    sendError(res, err);
  }
}

/**
 * Streams the request body (a tarball) to the engine: `load` = docker load (an image archive),
 * `import` = docker import (a root filesystem; ?repo=&tag=). The engine's progress (JSON lines)
 * is streamed back as the response.
 */
async function imageUpload(
  services: Services,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  user: { id: string; username: string; isAdmin: boolean; mustChangePassword: boolean },
  hostId: string,
  kind: 'load' | 'import',
): Promise<void> {
  const action = `images.${kind}`;
  const host = services.hosts.find(hostId);
  const repo = url.searchParams.get('repo') ?? undefined;
  const tag = url.searchParams.get('tag') ?? 'latest';
  const audit = (error: unknown) =>
    services.audit.append({
      actorId: user.id,
      actorName: user.username,
      action,
      hostId,
      hostName: host?.name ?? null,
      target: repo ? `${repo}:${tag}` : null,
      params: { hostId, repo, tag, bytes: Number(req.headers['content-length'] ?? 0) || null },
      result: error ? 'error' : 'ok',
      error: error ? `${errorCode(error)}: ${(error as Error).message}` : null,
      clientIp: clientAddress(req, services.config.trustProxy),
    });
  try {
    if (!atLeast(await roleOnHost(services.db, user, hostId), 'operator')) {
      throw Errors.ROLE_REQUIRED('operator', host?.name ?? hostId);
    }
    if (kind === 'import' && (!repo || !/^[a-z0-9]+([._/:-][a-z0-9]+)*$/.test(repo))) {
      throw Errors.BAD_INPUT('import needs ?repo= (a lowercase repository name)');
    }
    const progress = await services.hosts.call(
      hostId,
      (d) =>
        kind === 'load'
          ? d.loadImage(req)
          : (d.importImage(req, { repo, tag }) as unknown as Promise<NodeJS.ReadableStream>),
      { timeoutMs: null },
    );
    res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
    let failure: string | null = null;
    for await (const chunk of progress as AsyncIterable<Buffer>) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.includes('"error"')) failure ??= line.slice(0, 500);
      }
      res.write(chunk);
    }
    res.end();
    await audit(failure ? Errors.ENGINE_FAILED(host?.name ?? hostId, failure) : null);
  } catch (err) {
    await audit(err).catch(() => {});
    if (err instanceof BerthError) {
      req.resume(); // drain the upload so the client sees the answer
      sendError(res, err);
    } else {
      sendError(res, Errors.INTERNAL((err as Error).message));
    }
  }
}

export { sendJson };
