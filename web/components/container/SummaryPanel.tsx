'use client';
import { type ReactNode, useState } from 'react';
import { formatBytes, formatDateTime } from '@/lib/format';
import { type ContainerDetails, commandLine, engineTime, envEntries, portBindings } from '@/lib/inspect';

function Row({ k, children }: { k: string; children: ReactNode }) {
  return (
    <>
      <dt>{k}</dt>
      <dd>{children}</dd>
    </>
  );
}

function Section({ title, action, children }: { title: string; action?: ReactNode; children: ReactNode }) {
  return (
    <div className="card">
      <div className="card-head">
        <h2>{title}</h2>
        {action}
      </div>
      <dl className="kv card-body">{children}</dl>
    </div>
  );
}

export function SummaryPanel({ doc, hostName }: { doc: ContainerDetails; hostName: string }) {
  const [showEnv, setShowEnv] = useState(false);
  const st = doc.state;
  const env = envEntries(doc);
  const ports = portBindings(doc);
  const labels = Object.entries(doc.config.labels);
  const finished = engineTime(st.finishedAt);
  return (
    <div className="stat-grid">
      <Section title="Container">
        <Row k="ID">
          <span className="mono">{doc.id}</span>
        </Row>
        <Row k="Host">{hostName}</Row>
        <Row k="Image">
          <span className="mono">{doc.image}</span>
        </Row>
        <Row k="Command">
          <span className="mono">{commandLine(doc) || '—'}</span>
        </Row>
        <Row k="User">{doc.config.user || 'image default'}</Row>
        <Row k="Working dir">
          <span className="mono">{doc.config.workingDir || '/'}</span>
        </Row>
        <Row k="Created">{formatDateTime(doc.created)}</Row>
        <Row k="Restart policy">{doc.hostConfig.restartPolicy || 'no'}</Row>
      </Section>
      <Section title="State">
        <Row k="Status">{st.status}</Row>
        <Row k="Started">{formatDateTime(engineTime(st.startedAt))}</Row>
        {!st.running && finished ? <Row k="Finished">{formatDateTime(finished)}</Row> : null}
        {!st.running && finished ? <Row k="Exit code">{st.exitCode}</Row> : null}
        {st.error ? <Row k="Error">{st.error}</Row> : null}
        <Row k="PID">{st.pid || '—'}</Row>
        <Row k="Memory limit">{doc.hostConfig.memory ? formatBytes(doc.hostConfig.memory) : 'none'}</Row>
        <Row k="CPUs">{doc.hostConfig.nanoCpus ? String(doc.hostConfig.nanoCpus / 1e9) : 'unlimited'}</Row>
      </Section>
      <Section title="Network & storage">
        <Row k="Network mode">{doc.hostConfig.networkMode || '—'}</Row>
        {doc.networks.map((n) => (
          <Row key={n.name} k={n.name}>
            <span className="mono">{n.ipAddress || 'no address'}</span>
          </Row>
        ))}
        <Row k="Ports">{ports.length ? <span className="mono">{ports.join(', ')}</span> : 'none'}</Row>
        <Row k="Mounts">
          {doc.mounts.length
            ? doc.mounts.map((m) => (
                <div key={`${m.source}:${m.destination}`} className="mono">
                  {m.name ?? m.source} → {m.destination}
                  {m.readOnly ? ' (ro)' : ''}
                </div>
              ))
            : 'none'}
        </Row>
      </Section>
      <Section
        title="Environment & labels"
        action={
          env.length ? (
            <button type="button" className="btn sm" onClick={() => setShowEnv((s) => !s)}>
              {showEnv ? 'Hide values' : 'Show values'}
            </button>
          ) : null
        }
      >
        {env.map((e) => (
          <Row key={e.key} k={e.key}>
            <span className="mono">{showEnv ? e.value : '••••••'}</span>
          </Row>
        ))}
        {labels.map(([k, v]) => (
          <Row key={`label:${k}`} k={`label ${k}`}>
            <span className="mono">{v}</span>
          </Row>
        ))}
        {!env.length && !labels.length ? <span className="faint">none</span> : null}
      </Section>
    </div>
  );
}
