'use client';
import { useMutation, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { type FormEvent, useEffect, useState } from 'react';
import { PageHead } from '@/components/PageHead';
import { ErrorState, InlineError, LoadingBlock } from '@/components/States';
import { containerHref } from '@/lib/nav';
import { FieldError, parseCpus, parseEnv, parseMemory, parsePorts, parseVolumes } from '@/lib/runForm';
import { shellWords } from '@/lib/shellWords';
import { useTRPC } from '@/lib/trpc';

type Restart = 'no' | 'always' | 'unless-stopped' | 'on-failure';

const INITIAL = {
  hostId: '',
  image: '',
  name: '',
  cmd: '',
  env: '',
  ports: '',
  volumes: '',
  memory: '',
  cpus: '',
  restart: 'no' as Restart,
  start: true,
};

function Field({
  id,
  label,
  hint,
  error,
  children,
}: {
  id: string;
  label: string;
  hint?: string;
  error?: string;
  children: React.ReactNode;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      {error ? (
        <span className="hint" style={{ color: 'var(--danger)' }}>
          {error}
        </span>
      ) : hint ? (
        <span className="hint">{hint}</span>
      ) : null}
    </div>
  );
}

export default function RunContainerPage() {
  const trpc = useTRPC();
  const router = useRouter();
  const hosts = useQuery(trpc.hosts.list.queryOptions());
  const [form, setForm] = useState(INITIAL);
  const [fieldError, setFieldError] = useState<FieldError | null>(null);
  const set = <K extends keyof typeof INITIAL>(k: K, v: (typeof INITIAL)[K]) => setForm((f) => ({ ...f, [k]: v }));
  const images = useQuery({ ...trpc.images.list.queryOptions({ hostId: form.hostId }), enabled: !!form.hostId });
  const create = useMutation(
    trpc.containers.create.mutationOptions({
      onSuccess: (res) => router.push(containerHref(form.hostId, res.id)),
    }),
  );

  // Default to the first reachable host once the list arrives.
  useEffect(() => {
    if (!form.hostId && hosts.data?.length) {
      const up = hosts.data.find((h) => h.health?.status === 'up' && h.role !== 'viewer') ?? hosts.data[0];
      if (up) setForm((f) => ({ ...f, hostId: up.id }));
    }
  }, [hosts.data, form.hostId]);

  function submit(e: FormEvent) {
    e.preventDefault();
    setFieldError(null);
    try {
      const cmd = form.cmd.trim() ? shellWords(form.cmd) : undefined;
      create.mutate({
        hostId: form.hostId,
        image: form.image.trim(),
        name: form.name.trim() || undefined,
        cmd,
        env: parseEnv(form.env),
        ports: parsePorts(form.ports),
        volumes: parseVolumes(form.volumes),
        memory: parseMemory(form.memory),
        cpus: parseCpus(form.cpus),
        restartPolicy: form.restart,
        start: form.start,
      });
    } catch (err) {
      if (err instanceof FieldError) setFieldError(err);
      else setFieldError(new FieldError('cmd', err instanceof Error ? err.message : String(err)));
    }
  }

  if (hosts.isPending) return <LoadingBlock />;
  if (hosts.isError) return <ErrorState error={hosts.error} retry={() => hosts.refetch()} />;
  const err = (f: string) => (fieldError?.field === f ? fieldError.message : undefined);
  const imageNames = (images.data ?? []).flatMap((i) => i.repoTags);

  return (
    <>
      <div className="crumbs">
        <Link href="/containers">Containers</Link> / <span>Run</span>
      </div>
      <PageHead title="Run a container" sub="Creates the container on the chosen host and, by default, starts it." />
      <form className="card" onSubmit={submit} data-testid="run-form">
        <div className="card-body stack">
          <div className="form-grid">
            <Field id="run-host" label="Host">
              <select
                id="run-host"
                className="select"
                required
                value={form.hostId}
                onChange={(e) => set('hostId', e.target.value)}
              >
                {hosts.data.map((h) => (
                  <option key={h.id} value={h.id} disabled={h.health?.status === 'down' || h.role === 'viewer'}>
                    {h.name}
                    {h.health?.status === 'down' ? ' (down)' : h.role === 'viewer' ? ' (viewer: cannot run)' : ''}
                  </option>
                ))}
              </select>
            </Field>
            <Field
              id="run-image"
              label="Image"
              hint={images.isError ? 'Could not list images on this host' : 'e.g. busybox:latest'}
            >
              <input
                id="run-image"
                className="input mono"
                required
                list="run-images"
                value={form.image}
                onChange={(e) => set('image', e.target.value)}
              />
            </Field>
            <datalist id="run-images">
              {imageNames.map((t) => (
                <option key={t} value={t} />
              ))}
            </datalist>
            <Field id="run-name" label="Name" hint="Optional; the engine picks one otherwise">
              <input
                id="run-name"
                className="input mono"
                value={form.name}
                onChange={(e) => set('name', e.target.value)}
              />
            </Field>
            <Field
              id="run-cmd"
              label="Command"
              hint="Overrides the image's CMD; quotes work as in a shell"
              error={err('cmd')}
            >
              <input
                id="run-cmd"
                className="input mono"
                value={form.cmd}
                onChange={(e) => set('cmd', e.target.value)}
              />
            </Field>
          </div>
          <div className="form-grid">
            <Field id="run-env" label="Environment" hint="KEY=value, one per line" error={err('env')}>
              <textarea
                id="run-env"
                className="textarea"
                rows={4}
                value={form.env}
                onChange={(e) => set('env', e.target.value)}
              />
            </Field>
            <Field id="run-ports" label="Ports" hint="hostPort:containerPort[/udp], one per line" error={err('ports')}>
              <textarea
                id="run-ports"
                className="textarea"
                rows={4}
                value={form.ports}
                onChange={(e) => set('ports', e.target.value)}
              />
            </Field>
            <Field
              id="run-volumes"
              label="Volumes"
              hint="volume-or-/host/path:/container/path[:ro]"
              error={err('volumes')}
            >
              <textarea
                id="run-volumes"
                className="textarea"
                rows={4}
                value={form.volumes}
                onChange={(e) => set('volumes', e.target.value)}
              />
            </Field>
          </div>
          <div className="form-grid">
            <Field id="run-memory" label="Memory limit" hint="e.g. 256m, 1g" error={err('memory')}>
              <input
                id="run-memory"
                className="input mono"
                value={form.memory}
                onChange={(e) => set('memory', e.target.value)}
              />
            </Field>
            <Field id="run-cpus" label="CPUs" hint="e.g. 0.5" error={err('cpus')}>
              <input
                id="run-cpus"
                className="input mono"
                value={form.cpus}
                onChange={(e) => set('cpus', e.target.value)}
              />
            </Field>
            <Field id="run-restart" label="Restart policy">
              <div className="row">
                <select
                  id="run-restart"
                  className="select grow"
                  value={form.restart}
                  onChange={(e) => set('restart', e.target.value as Restart)}
                >
                  <option value="no">no</option>
                  <option value="always">always</option>
                  <option value="unless-stopped">unless-stopped</option>
                  <option value="on-failure">on-failure</option>
                </select>
              </div>
            </Field>
          </div>
          <InlineError error={create.error} />
        </div>
        <div className="dialog-foot">
          <label className="check" style={{ marginRight: 'auto' }}>
            <input type="checkbox" checked={form.start} onChange={(e) => set('start', e.target.checked)} /> Start after
            creating
          </label>
          <Link href="/containers" className="btn">
            Cancel
          </Link>
          <button type="submit" className="btn primary" disabled={create.isPending || !form.hostId}>
            {create.isPending ? 'Creating…' : form.start ? 'Run' : 'Create'}
          </button>
        </div>
      </form>
    </>
  );
}
