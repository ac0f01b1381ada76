'use client';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/lib/trpc';
import { Icon } from '../Icon';
import { InlineError } from '../States';

type Team = {
  id: string;
  name: string;
  members: Array<{ userId: string; username: string }>;
  grants: Array<{ hostId: string; hostName: string; role: string }>;
};
const ROLES = ['viewer', 'operator', 'admin'] as const;

export function TeamCard({
  team,
  users,
  hosts,
  onChanged,
  onRemove,
}: {
  team: Team;
  users: Array<{ id: string; username: string }>;
  hosts: Array<{ id: string; name: string }>;
  onChanged: () => void;
  onRemove: () => void;
}) {
  const trpc = useTRPC();
  const opts = { onSuccess: onChanged };
  const addMember = useMutation(trpc.teams.addMember.mutationOptions(opts));
  const removeMember = useMutation(trpc.teams.removeMember.mutationOptions(opts));
  const grant = useMutation(trpc.teams.grant.mutationOptions(opts));
  const revoke = useMutation(trpc.teams.revoke.mutationOptions(opts));
  const [userId, setUserId] = useState('');
  const [hostId, setHostId] = useState('');
  const [role, setRole] = useState<(typeof ROLES)[number]>('viewer');
  const memberIds = new Set(team.members.map((m) => m.userId));
  const grantedHosts = new Set(team.grants.map((g) => g.hostId));
  const error = [addMember, removeMember, grant, revoke].find((m) => m.error)?.error;

  return (
    <div className="card" data-testid="team-card" data-team={team.name}>
      <div className="card-head">
        <h2>{team.name}</h2>
        <button
          type="button"
          className="btn sm ghost danger"
          onClick={onRemove}
          aria-label={`Delete team ${team.name}`}
        >
          <Icon name="trash" size={12} />
        </button>
      </div>
      <div className="card-body stack">
        <div className="stack" style={{ gap: 6 }}>
          <div className="label muted" style={{ fontSize: 11.5 }}>
            Members
          </div>
          <div>
            {team.members.length ? (
              team.members.map((m) => (
                <span key={m.userId} className="chip" style={{ fontFamily: 'var(--font)' }}>
                  {m.username}{' '}
                  <button
                    type="button"
                    className="btn ghost sm"
                    style={{ height: 16, padding: '0 2px' }}
                    aria-label={`Remove ${m.username} from ${team.name}`}
                    onClick={() => removeMember.mutate({ teamId: team.id, userId: m.userId })}
                  >
                    ✕
                  </button>
                </span>
              ))
            ) : (
              <span className="faint">No members</span>
            )}
          </div>
          <div className="row">
            <select
              className="select sm grow"
              aria-label="User to add"
              value={userId}
              onChange={(e) => setUserId(e.target.value)}
            >
              <option value="">Add a member…</option>
              {users
                .filter((u) => !memberIds.has(u.id))
                .map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.username}
                  </option>
                ))}
            </select>
            <button
              type="button"
              className="btn sm"
              disabled={!userId || addMember.isPending}
              onClick={() => {
                addMember.mutate({ teamId: team.id, userId });
                setUserId('');
              }}
            >
              Add
            </button>
          </div>
        </div>
        <div className="stack" style={{ gap: 6 }}>
          <div className="label muted" style={{ fontSize: 11.5 }}>
            Host grants
          </div>
          {team.grants.length ? (
            <table className="table">
              <tbody>
                {team.grants.map((g) => (
                  <tr key={g.hostId}>
                    <td>{g.hostName}</td>
                    <td>
                      <span className="badge plain accent">{g.role}</span>
                    </td>
                    <td style={{ textAlign: 'right' }}>
                      <button
                        type="button"
                        className="btn sm ghost danger"
                        onClick={() => revoke.mutate({ teamId: team.id, hostId: g.hostId })}
                      >
                        Revoke
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <span className="faint">No grants: members see nothing through this team.</span>
          )}
          <div className="row">
            <select
              className="select sm grow"
              aria-label="Host to grant"
              value={hostId}
              onChange={(e) => setHostId(e.target.value)}
            >
              <option value="">Grant on host…</option>
              {hosts.map((h) => (
                <option key={h.id} value={h.id}>
                  {h.name}
                  {grantedHosts.has(h.id) ? ' (change role)' : ''}
                </option>
              ))}
            </select>
            <select
              className="select sm"
              aria-label="Role"
              value={role}
              onChange={(e) => setRole(e.target.value as (typeof ROLES)[number])}
            >
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
            <button
              type="button"
              className="btn sm"
              disabled={!hostId || grant.isPending}
              onClick={() => {
                grant.mutate({ teamId: team.id, hostId, role });
                setHostId('');
              }}
            >
              Grant
            </button>
          </div>
        </div>
        <InlineError error={error} />
      </div>
    </div>
  );
}
