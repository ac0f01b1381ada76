'use client';
import { useState } from 'react';
import { formatBytes, formatDateTime } from '@/lib/format';
import { commandLine, envEntries, type InspectDoc, portBindings, restartPolicy } from '@/lib/inspect';

function Row({ k, children }: { k: string; children: React.ReactNode }) {
  return (
    <>
      <dt>{k}</dt>
      <dd>{children}</dd>
    </>
  );
}

export function SummaryPanel({ doc, hostName }: { doc: InspectDoc; hostName: string }) {
  const [showEnv, setShowEnv] = useState(false);
  const st = doc.State ?? {};
  const env = envEntries(doc);
  const ports = portBindings(doc);
  const networks = Object.entries(doc.NetworkSettings?.Networks ?? {});
  return (
    <div className="stat-grid">
      <div className="card">
        <div className="card-head">
          <h2>Container</h2>
        </div>
        <dl className="kv card-body">
          <Row k="ID">
            <span className="mono">{doc.Id}</span>
          </Row>
          <Row k="Host">{hostName}</Row>
          <Row k="Image">
            <span className="mono">{doc.Config?.Image ?? doc.Image}</span>
          </Row>
          <Row k="Command">
            <span className="mono">{commandLine(doc) || '—'}</span>
          </Row>
          <Row k="User">{doc.Config?.User || 'default'}</Row>
          <Row k="Created">{formatDateTime(doc.Created)}</Row>
          <Row k="Restart policy">{restartPolicy(doc)}</Row>
          <Row k="Restarts">{doc.RestartCount ?? 0}</Row>
        </dl>
      </div>
      <div className="card">
        <div className="card-head">
          <h2>State</h2>
        </div>
        <dl className="kv card-body">
          <Row k="Status">{st.Status ?? '—'}</Row>
          <Row k="Started">{formatDateTime(st.StartedAt)}</Row>
          {!st.Running ? <Row k="Finished">{formatDateTime(st.FinishedAt)}</Row> : null}
          {!st.Running ? <Row k="Exit code">{st.ExitCode ?? '—'}</Row> : null}
          {st.Error ? <Row k="Error">{st.Error}</Row> : null}
          <Row k="PID">{st.Pid || '—'}</Row>
          <Row k="Memory limit">{doc.HostConfig?.Memory ? formatBytes(doc.HostConfig.Memory) : 'none'}</Row>
          <Row k="CPUs">{doc.HostConfig?.NanoCpus ? (doc.HostConfig.NanoCpus / 1e9).toString() : 'unlimited'}</Row>
        </dl>
      </div>
      <div className="card">
        <div className="card-head">
          <h2>Network &amp; storage</h2>
        </div>
        <dl className="kv card-body">
          <Row k="Network mode">{doc.HostConfig?.NetworkMode ?? '—'}</Row>
          {networks.map(([name, n]) => (
            <Row key={name} k={name}>
              <span className="mono">{n.IPAddress || 'no address'}</span>
            </Row>
          ))}
          <Row k="Ports">{ports.length ? <span className="mono">{ports.join(', ')}</span> : 'none published'}</Row>
          <Row k="Mounts">
            {doc.Mounts?.length
              ? doc.Mounts.map((m) => (
                  <div key={`${m.Source}:${m.Destination}`} className="mono">
                    {m.Name ?? m.Source} → {m.Destination}
                    {m.RW === false ? ' (ro)' : ''}
                  </div>
                ))
              : 'none'}
          </Row>
        </dl>
      </div>
      <div className="card">
        <div className="card-head">
          <h2>Environment &amp; labels</h2>
          {env.length ? (
            <button type="button" className="btn sm" onClick={() => setShowEnv((s) => !s)}>
              {showEnv ? 'Hide values' : 'Show values'}
            </button>
          ) : null}
        </div>
        <dl className="kv card-body">
          {env.map((e) => (
            <Row key={e.key} k={e.key}>
              <span className="mono">{showEnv ? e.value : '••••••'}</span>
            </Row>
          ))}
          {Object.entries(doc.Config?.Labels ?? {}).map(([k, v]) => (
            <Row key={`label:${k}`} k={`label ${k}`}>
              <span className="mono">{v}</span>
            </Row>
          ))}
          {!env.length && !Object.keys(doc.Config?.Labels ?? {}).length ? <span className="faint">none</span> : null}
        </dl>
      </div>
    </div>
  );
}
