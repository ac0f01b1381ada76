import type { ReactNode } from 'react';

// React 19 hoists <title> into <head>, which lets client pages name their tab without metadata exports.
export function PageHead({ title, sub, children }: { title: string; sub?: ReactNode; children?: ReactNode }) {
  return (
    <header className="page-head">
      <title>{`${title} · Berth`}</title>
      <div style={{ marginRight: 'auto' }}>
        <h1>{title}</h1>
        {sub ? <div className="page-sub">{sub}</div> : null}
      </div>
      {children}
    </header>
  );
}
