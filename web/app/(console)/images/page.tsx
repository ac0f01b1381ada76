'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Suspense, useState } from 'react';
import { Dialog } from '@/components/Dialog';
import { HostPicker, useHostChoice } from '@/components/HostPicker';
import { Icon } from '@/components/Icon';
import { ImportImage } from '@/components/images/ImportImage';
import { PageHead } from '@/components/PageHead';
import { EmptyState, ErrorState, InlineError, LoadingRows, TableState } from '@/components/States';
import { formatAgo, formatBytes, shortId } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

type ImageRow = { id: string; repoTags: string[]; created: number; size: number; containers: number };

function ImagesView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { hosts, list, chosen, select } = useHostChoice();
  const hostId = chosen?.id ?? '';
  const images = useQuery({ ...trpc.images.list.queryOptions({ hostId }), enabled: !!hostId });
  const [filter, setFilter] = useState('');
  const [tagging, setTagging] = useState<ImageRow | null>(null);
  const [newTag, setNewTag] = useState('');
  const [removing, setRemoving] = useState<{ image: ImageRow; ref: string } | null>(null);
  const [force, setForce] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.images.list.queryKey() });
  const tag = useMutation(
    trpc.images.tag.mutationOptions({
      onSuccess: () => {
        setTagging(null);
        return refresh();
      },
    }),
  );
  const remove = useMutation(
    trpc.images.remove.mutationOptions({
      onSuccess: () => {
        setRemoving(null);
        return refresh();
      },
    }),
  );

  const rows = (images.data ?? []).filter((i) => {
    const q = filter.trim().toLowerCase();
    return !q || i.id.includes(q) || i.repoTags.some((t) => t.toLowerCase().includes(q));
  });
  const COLS = 6;
  return (
    <>
      <PageHead title="Images" sub={chosen ? `On ${chosen.name}` : undefined}>
        {list.length ? <HostPicker list={list} value={hostId} onChange={select} /> : null}
      </PageHead>
      {hosts.isError ? <ErrorState error={hosts.error} /> : null}
      <div className="toolbar">
        <input
          className="input search"
          type="search"
          placeholder="Filter by tag or id"
          aria-label="Filter images"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
        />
        <span className="spacer" />
        {chosen ? <ImportImage hostId={hostId} onDone={refresh} /> : null}
      </div>
      <div className="card table-wrap">
        <table className="table" data-testid="images-table">
          <thead>
            <tr>
              <th>Tags</th>
              <th>ID</th>
              <th className="num">Size</th>
              <th className="num">Containers</th>
              <th>Created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {hosts.isPending || (images.isPending && !!hostId) ? (
              <LoadingRows cols={COLS} />
            ) : !chosen ? (
              <TableState cols={COLS}>
                <EmptyState title="No hosts available" />
              </TableState>
            ) : images.isError ? (
              <TableState cols={COLS}>
                <ErrorState error={images.error} title={`${chosen.name} failed`} retry={() => images.refetch()} />
              </TableState>
            ) : rows.length === 0 ? (
              <TableState cols={COLS}>
                <EmptyState title={filter ? 'No images match' : 'No images on this host'}>
                  Import a tarball above, or pull one from a registry with the engine CLI.
                </EmptyState>
              </TableState>
            ) : (
              rows.map((i) => {
                const tags = i.repoTags;
                return (
                  <tr key={i.id} data-testid="image-row">
                    <td>
                      {tags.length ? (
                        tags.map((t) => (
                          <span key={t} className="chip">
                            {t}
                          </span>
                        ))
                      ) : (
                        <span className="faint">untagged</span>
                      )}
                    </td>
                    <td className="mono">{shortId(i.id)}</td>
                    <td className="num">{formatBytes(i.size)}</td>
                    <td className="num">{i.containers >= 0 ? i.containers : '—'}</td>
                    <td className="muted nowrap">{formatAgo(i.created)}</td>
                    <td className="nowrap" style={{ textAlign: 'right' }}>
                      <button
                        type="button"
                        className="btn sm ghost"
                        onClick={() => {
                          setTagging(i);
                          setNewTag('');
                        }}
                      >
                        <Icon name="tag" size={12} /> Tag
                      </button>
                      <button
                        type="button"
                        className="btn sm ghost danger"
                        onClick={() => {
                          setRemoving({ image: i, ref: tags[0] ?? i.id });
                          setForce(false);
                        }}
                      >
                        <Icon name="trash" size={12} /> Remove
                      </button>
                    </td>
                  </tr>
                );
              })
            )}
          </tbody>
        </table>
      </div>
      <Dialog
        open={!!tagging}
        title="Tag image"
        onClose={() => setTagging(null)}
        footer={
          <>
            <button type="button" className="btn" onClick={() => setTagging(null)}>
              Cancel
            </button>
            <button
              type="button"
              className="btn primary"
              disabled={!newTag.trim() || tag.isPending}
              onClick={() => {
                const t = newTag.trim();
                const at = t.lastIndexOf(':');
                const hasTag = at > t.lastIndexOf('/');
                tagging &&
                  tag.mutate({
                    hostId,
                    id: tagging.id,
                    repo: hasTag ? t.slice(0, at) : t,
                    tag: hasTag ? t.slice(at + 1) : 'latest',
                  });
              }}
            >
              Tag
            </button>
          </>
        }
      >
        <div className="muted mono">{tagging ? (tagging.repoTags[0] ?? shortId(tagging.id)) : ''}</div>
        <div className="field">
          <label htmlFor="new-tag">New reference</label>
          <input
            id="new-tag"
            className="input mono"
            placeholder="registry.local:5000/team/app:1.2"
            value={newTag}
            onChange={(e) => setNewTag(e.target.value)}
          />
        </div>
        <InlineError error={tag.error} />
      </Dialog>
      <Dialog
        open={!!removing}
        title="Remove image?"
        onClose={() => setRemoving(null)}
        footer={
          <>
            <button type="button" className="btn" onClick={() => setRemoving(null)}>
              Cancel
            </button>
            <button
              type="button"
              className="btn primary"
              disabled={remove.isPending}
              onClick={() => removing && remove.mutate({ hostId, id: removing.ref, force })}
            >
              Remove
            </button>
          </>
        }
      >
        <div className="mono">{removing?.ref}</div>
        <label className="check">
          <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} /> Force (also untag other
          references, remove even if stopped containers use it)
        </label>
        <InlineError error={remove.error} />
      </Dialog>
    </>
  );
}

export default function ImagesPage() {
  return (
    <Suspense>
      <ImagesView />
    </Suspense>
  );
}
