// Audit export as JSON Lines or CSV, streamed row by row.
import type { AuditEventRow } from './log.js';

const COLUMNS = [
  'id',
  'seq',
  'time',
  'actorName',
  'actorId',
  'action',
  'hostName',
  'hostId',
  'target',
  'params',
  'result',
  'error',
  'clientIp',
  'prevHash',
  'hash',
] as const;

export function toJsonLine(e: AuditEventRow): string {
  return `${JSON.stringify({ ...e, time: e.time.toISOString() })}\n`;
}

export const CSV_HEADER = `${COLUMNS.join(',')}\r\n`;

function csvField(value: unknown): string {
  let s = value instanceof Date ? value.toISOString() : value === null || value === undefined ? '' : String(value);
  // A cell starting with = + - @ is a formula to a spreadsheet; a leading quote defuses it.
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsvLine(e: AuditEventRow): string {
  return `${COLUMNS.map((c) => csvField(e[c])).join(',')}\r\n`;
}
