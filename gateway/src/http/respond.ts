// Small helpers for the plain-HTTP routes (the tRPC adapter answers its own).
import type { ServerResponse } from 'node:http';
import { BerthError } from '../errors.js';

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof BerthError) {
    sendJson(res, err.status, { error: { code: err.berthCode, message: err.message } });
    return;
  }
  sendJson(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
}
