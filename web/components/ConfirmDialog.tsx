'use client';
import type { ReactNode } from 'react';
import { Dialog } from './Dialog';
import { InlineError } from './States';

export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel = 'Remove',
  busy,
  error,
  onConfirm,
  onClose,
}: {
  open: boolean;
  title: string;
  children?: ReactNode;
  confirmLabel?: string;
  busy?: boolean;
  error?: unknown;
  onConfirm: () => void;
  onClose: () => void;
}) {
  return (
    <Dialog
      open={open}
      title={title}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="btn primary" disabled={busy} onClick={onConfirm}>
            {confirmLabel}
          </button>
        </>
      }
    >
      {children}
      <InlineError error={error} />
    </Dialog>
  );
}
