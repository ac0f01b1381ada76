'use client';
import { useMemo, useState } from 'react';
import { Icon } from '../Icon';

export function InspectPanel({ data }: { data: unknown }) {
  const json = useMemo(() => JSON.stringify(data, null, 2), [data]);
  const [copied, setCopied] = useState(false);
  return (
    <div className="card">
      <div className="card-head">
        <h2>Inspect</h2>
        <button
          type="button"
          className="btn sm"
          onClick={async () => {
            await navigator.clipboard.writeText(json);
            setCopied(true);
            setTimeout(() => setCopied(false), 1500);
          }}
        >
          <Icon name={copied ? 'check' : 'copy'} size={12} /> {copied ? 'Copied' : 'Copy JSON'}
        </button>
      </div>
      <pre className="code-block" style={{ border: 0, borderRadius: 0 }} data-testid="inspect-json">
        {json}
      </pre>
    </div>
  );
}
