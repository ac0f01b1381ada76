'use client';
import type { ReactNode } from 'react';
import { errorCode, errorMessage } from '@/lib/errors';

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return <span className="spinner" role="status" aria-label={label} />;
}

/** Placeholder rows shaped like the table that is loading, so the layout does not jump. */
export function LoadingRows({ cols, rows = 5 }: { cols: number; rows?: number }) {
  return (
    <>
      {Array.from({ length: rows }, (_, r) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: static placeholders
        <tr key={r} aria-hidden>
          {Array.from({ length: cols }, (_, c) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: static placeholders
            <td key={c}>
              <span className="skeleton" style={{ width: `${40 + ((r * 7 + c * 13) % 50)}%` }} />
            </td>
          ))}
        </tr>
      ))}
    </>
  );
}

export function LoadingBlock({ label = 'Loading…', page }: { label?: string; page?: boolean }) {
  return (
    <div className={`state${page ? ' page' : ''}`} data-state="loading">
      <Spinner />
      <span>{label}</span>
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state" data-state="empty">
      <strong>{title}</strong>
      {children ? <div>{children}</div> : null}
    </div>
  );
}

export function ErrorState({
  error,
  title,
  retry,
  page,
}: {
  error: unknown;
  title?: string;
  retry?: () => void;
  page?: boolean;
}) {
  const code = errorCode(error);
  const heading =
    title ??
    (code === 'FORBIDDEN'
      ? 'You do not have access to this'
      : code === 'NOT_FOUND'
        ? 'Not found'
        : 'Something went wrong');
  return (
    <div className={`state error${page ? ' page' : ''}`} role="alert" data-state="error">
      <strong>{heading}</strong>
      <div>{errorMessage(error)}</div>
      {retry ? (
        <button type="button" className="btn sm" onClick={retry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}

/** A full-width table cell for a state inside a table body. */
export function TableState({ cols, children }: { cols: number; children: ReactNode }) {
  return (
    <tr>
      <td colSpan={cols} style={{ height: 'auto' }}>
        {children}
      </td>
    </tr>
  );
}

export function InlineError({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <div className="alert error" role="alert">
      {errorMessage(error)}
    </div>
  );
}
