'use client';
import { useRef, useState } from 'react';
import { formatBytes } from '@/lib/format';
import {
  type UploadKind as Kind,
  summarizeLoad,
  type UploadProgress,
  uploadUrl,
  uploadWithProgress,
} from '@/lib/upload';
import { Icon } from '../Icon';

/** Uploads a tarball into one host with a progress bar: `load` takes an image archive
 *  (`docker save`), `import` a root filesystem tagged as the given reference. */
export function ImportImage({ hostId, onDone }: { hostId: string; onDone: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const abort = useRef<AbortController | null>(null);
  const [kind, setKind] = useState<Kind>('load');
  const [reference, setReference] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);

  async function start(f: File) {
    setFile(f);
    setResult(null);
    setProgress({ loaded: 0, total: f.size });
    abort.current = new AbortController();
    try {
      const res = await uploadWithProgress(uploadUrl(hostId, kind, reference), f, setProgress, abort.current.signal);
      const summary = summarizeLoad(res.text);
      setResult(summary);
      if (summary.ok) onDone();
    } catch (err) {
      setResult({ ok: false, text: err instanceof Error ? err.message : String(err) });
    } finally {
      setProgress(null);
      abort.current = null;
      if (input.current) input.current.value = '';
    }
  }

  const pct = progress?.total ? Math.round((progress.loaded / progress.total) * 100) : 0;
  const needsReference = kind === 'import' && !reference.trim();
  return (
    <div className="import-image" data-testid="image-import">
      <div className="row">
        <select
          className="select"
          aria-label="Upload kind"
          value={kind}
          disabled={!!progress}
          onChange={(e) => setKind(e.target.value as Kind)}
        >
          <option value="load">Image archive (docker save)</option>
          <option value="import">Root filesystem (docker import)</option>
        </select>
        {kind === 'import' ? (
          <input
            className="input mono"
            style={{ width: 200 }}
            placeholder="repository:tag"
            aria-label="Import as"
            value={reference}
            disabled={!!progress}
            onChange={(e) => setReference(e.target.value)}
          />
        ) : null}
        <input
          ref={input}
          type="file"
          accept=".tar,application/x-tar"
          className="sr-only"
          id="image-tar"
          disabled={!!progress || needsReference}
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void start(f);
          }}
        />
        <label htmlFor="image-tar" className="btn" aria-disabled={!!progress || needsReference}>
          <Icon name="upload" /> Upload tar…
        </label>
      </div>
      {progress ? (
        <div className="row">
          <span className="muted truncate" style={{ maxWidth: 200 }}>
            {file?.name}
          </span>
          <div
            className="progress"
            style={{ width: 220 }}
            role="progressbar"
            aria-label="Upload progress"
            aria-valuenow={pct}
            aria-valuemin={0}
            aria-valuemax={100}
          >
            <span style={{ width: `${pct}%` }} />
          </div>
          <span className="mono nowrap">
            {pct}% · {formatBytes(progress.loaded)} / {formatBytes(progress.total)}
          </span>
          <button type="button" className="btn sm" onClick={() => abort.current?.abort()}>
            Cancel
          </button>
        </div>
      ) : null}
      {result ? (
        <div className={`alert ${result.ok ? 'ok' : 'error'}`} role="status" data-testid="image-import-result">
          <span className="grow">
            {file ? <strong>{file.name}: </strong> : null}
            {result.text}
          </span>
          <button type="button" className="btn ghost sm" onClick={() => setResult(null)}>
            Dismiss
          </button>
        </div>
      ) : null}
    </div>
  );
}
