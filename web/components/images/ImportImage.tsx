'use client';
import { useRef, useState } from 'react';
import { formatBytes } from '@/lib/format';
import { type UploadProgress, uploadWithProgress } from '@/lib/upload';
import { Icon } from '../Icon';

/** Imports an image tarball (`docker save` format) into one host, showing upload progress. */
export function ImportImage({ hostId, onDone }: { hostId: string; onDone: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const abort = useRef<AbortController | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);

  async function start(f: File) {
    setFile(f);
    setResult(null);
    setProgress({ loaded: 0, total: f.size });
    abort.current = new AbortController();
    try {
      const res = await uploadWithProgress(
        `/api/hosts/${encodeURIComponent(hostId)}/images/load`,
        f,
        setProgress,
        abort.current.signal,
      );
      setResult({ ok: true, text: summarizeLoad(res.text) });
      onDone();
    } catch (err) {
      setResult({ ok: false, text: err instanceof Error ? err.message : String(err) });
    } finally {
      setProgress(null);
      abort.current = null;
      if (input.current) input.current.value = '';
    }
  }

  const pct = progress?.total ? Math.round((progress.loaded / progress.total) * 100) : 0;
  return (
    <div className="import-image" data-testid="image-import">
      <div className="row">
        <input
          ref={input}
          type="file"
          accept=".tar,application/x-tar"
          className="sr-only"
          id="image-tar"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void start(f);
          }}
        />
        <label
          htmlFor="image-tar"
          className="btn"
          aria-disabled={!!progress}
          title="Load an image archive made by `docker save` (or berth save) into this host"
        >
          <Icon name="upload" /> Load image archive…
        </label>
        {progress ? (
          <>
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
          </>
        ) : null}
      </div>
      {result ? (
        <div className={`alert ${result.ok ? 'ok' : 'error'}`} role="status">
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

/** The engine's load endpoint streams JSON lines like {"stream":"Loaded image: x:y\n"}. */
export function summarizeLoad(text: string): string {
  const loaded: string[] = [];
  for (const line of text.split('\n')) {
    try {
      const j = JSON.parse(line) as { stream?: string; loaded?: string[]; error?: string };
      if (j.error) return j.error;
      if (j.stream?.trim()) loaded.push(j.stream.trim());
      if (Array.isArray(j.loaded)) loaded.push(...j.loaded.map((l) => `Loaded image: ${l}`));
    } catch {
      if (line.trim()) loaded.push(line.trim());
    }
  }
  return loaded.join('; ') || 'Imported.';
}
