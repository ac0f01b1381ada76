'use client';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTRPC } from '@/lib/trpc';
import { Dialog } from '../Dialog';
import { InlineError } from '../States';

export function AddHostDialog({
  open,
  onClose,
  onAdded,
}: {
  open: boolean;
  onClose: () => void;
  onAdded: (host: { id: string; name: string; tls: boolean }) => void;
}) {
  const trpc = useTRPC();
  const [name, setName] = useState('');
  const [url, setUrl] = useState('tcp://');
  const [tls, setTls] = useState(true);
  const add = useMutation(
    trpc.hosts.add.mutationOptions({
      onSuccess: (h) => {
        onAdded({ id: h.id, name: h.name, tls: h.tls });
        setName('');
        setUrl('tcp://');
      },
    }),
  );
  const isTcp = url.startsWith('tcp://');

  function submit(e: FormEvent) {
    e.preventDefault();
    add.mutate({ name: name.trim(), url: url.trim(), tls: isTcp && tls });
  }

  return (
    <Dialog open={open} title="Add host" onClose={onClose}>
      <form className="stack" onSubmit={submit} id="add-host-form">
        <div className="field">
          <label htmlFor="host-name">Name</label>
          <input id="host-name" className="input" required value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="host-url">Engine endpoint</label>
          <input
            id="host-url"
            className="input mono"
            required
            placeholder="tcp://10.0.0.5:2376 or unix:///run/berth/berthd.sock"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
          />
          <span className="hint">berthd listens on a unix socket locally, or on TCP with mutual TLS.</span>
        </div>
        <label className="check" aria-disabled={!isTcp}>
          <input type="checkbox" checked={isTcp && tls} disabled={!isTcp} onChange={(e) => setTls(e.target.checked)} />
          Mutual TLS with the gateway's CA (recommended for TCP)
        </label>
        <InlineError error={add.error} />
        <div className="form-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn primary" disabled={add.isPending}>
            {add.isPending ? 'Adding…' : 'Add host'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
