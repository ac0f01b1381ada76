'use client';
import Link from 'next/link';
import { useEffect, useRef, useState } from 'react';
import { errorCode, errorMessage } from '@/lib/errors';
import { ShellConnection, type ShellState, shellSocketUrl } from '@/lib/shellConnection';
import { shellWords } from '@/lib/shellWords';
import { TerminalFeed } from '@/lib/terminalFeed';
import { useTRPCClient } from '@/lib/trpc';
import { type MountedTerminal, mountTerminal, type TerminalHost } from '@/lib/xterm';
import { Icon } from '../Icon';
import { type ShellChoice, ShellOptions } from './ShellOptions';

const STATE_LABEL: Record<ShellState, string> = {
  connecting: 'connecting…',
  open: 'connected',
  reconnecting: 'connection lost — reconnecting…',
  exited: 'process exited',
  closed: 'closed',
  failed: 'failed',
};

export default function TerminalPanel({
  hostId,
  containerId,
  canOpen,
  role,
}: {
  hostId: string;
  containerId: string;
  /** False for viewers: the gateway would refuse, so the console says so up front. */
  canOpen: boolean;
  role: string | null;
}) {
  const client = useTRPCClient();
  const hostEl = useRef<TerminalHost>(null);
  const mounted = useRef<MountedTerminal | null>(null);
  const feed = useRef<TerminalFeed | null>(null);
  const conn = useRef<ShellConnection | null>(null);
  const [choice, setChoice] = useState<ShellChoice>({ preset: 'sh', custom: '', user: '' });
  const [session, setSession] = useState<{ id: string; recorded: boolean } | null>(null);
  const [state, setState] = useState<ShellState | 'idle'>('idle');
  const [detail, setDetail] = useState<string | undefined>();
  const [openError, setOpenError] = useState<unknown>(null);
  const [opening, setOpening] = useState(false);
  const [renderer, setRenderer] = useState<string>('');
  const [reconnects, setReconnects] = useState(0);

  // Fit the terminal to its panel on any size change (window, sidebar, devtools) and tell the
  // server the new size so full-screen programs redraw correctly.
  useEffect(() => {
    const el = hostEl.current;
    if (!el) return;
    const refit = () => {
      const m = mounted.current;
      if (!m || el.clientWidth === 0) return;
      m.fit.fit();
    };
    const ro = new ResizeObserver(refit);
    ro.observe(el);
    window.addEventListener('resize', refit);
    return () => {
      ro.disconnect();
      window.removeEventListener('resize', refit);
    };
  }, []);

  useEffect(
    () => () => {
      conn.current?.close();
      mounted.current?.dispose();
    },
    [],
  );

  async function ensureTerminal(): Promise<MountedTerminal> {
    if (mounted.current) return mounted.current;
    const el = hostEl.current;
    if (!el) throw new Error('terminal element missing');
    const m = await mountTerminal(el);
    mounted.current = m;
    feed.current = new TerminalFeed({
      write: (data, done) => m.term.write(data, done),
      linesKept: () => m.term.rows + (m.term.options.scrollback ?? 0),
    });
    setRenderer(m.renderer);
    m.term.onData((d) => conn.current?.send(d));
    m.term.onBinary((d) => conn.current?.send(Uint8Array.from(d, (c) => c.charCodeAt(0))));
    m.term.onResize(({ cols, rows }) => conn.current?.resize(cols, rows));
    // Ctrl+Shift+C / Ctrl+Shift+V copy and paste, as in desktop terminals (plain Ctrl+C is SIGINT).
    m.term.attachCustomKeyEventHandler((e) => {
      if (e.type !== 'keydown' || !e.ctrlKey || !e.shiftKey) return true;
      if (e.code === 'KeyC') {
        void copySelection();
        return false;
      }
      if (e.code === 'KeyV') {
        void paste();
        return false;
      }
      return true;
    });
    return m;
  }

  async function open() {
    setOpenError(null);
    let cmd: string[];
    try {
      cmd =
        choice.preset === 'custom' ? shellWords(choice.custom) : [choice.preset === 'bash' ? '/bin/bash' : '/bin/sh'];
      if (!cmd.length) throw new Error('Enter a command to run');
    } catch (err) {
      setOpenError(err);
      return;
    }
    setOpening(true);
    try {
      const m = await ensureTerminal();
      const res = await client.shells.open.mutate({ hostId, containerId, cmd, user: choice.user || undefined });
      conn.current?.close();
      feed.current?.clear();
      m.term.reset();
      const c = new ShellConnection(
        {
          baseUrl: shellSocketUrl(window.location),
          reattach: (sessionId) => client.shells.reattach.mutate({ sessionId }),
        },
        {
          // A replaced connection's last frames must not reach the new session's screen.
          output: (bytes) => {
            if (conn.current === c) feed.current?.push(bytes);
          },
          state: (s, d) => {
            setState(s);
            setDetail(d);
            setReconnects(c.reconnects);
          },
          ready: (info) => setSession({ id: info.sessionId, recorded: info.recorded }),
        },
      );
      conn.current = c;
      setSession({ id: res.sessionId, recorded: true });
      setState('connecting');
      c.resize(m.term.cols, m.term.rows);
      c.start(res.ticket, res.sessionId);
      m.term.focus();
    } catch (err) {
      setOpenError(err);
    } finally {
      setOpening(false);
    }
  }

  async function copySelection() {
    const sel = mounted.current?.term.getSelection();
    if (sel) await navigator.clipboard.writeText(sel);
  }
  async function paste() {
    const text = await navigator.clipboard.readText().catch(() => '');
    if (text) mounted.current?.term.paste(text);
  }

  const active = state === 'connecting' || state === 'open' || state === 'reconnecting';
  const forbidden = errorCode(openError) === 'FORBIDDEN';
  return (
    <div className="card terminal-panel" data-testid="terminal-panel" data-state={state} data-reconnects={reconnects}>
      <div className="card-head toolbar">
        {active ? (
          <>
            {session?.recorded ? (
              <span
                className="rec-marker"
                data-testid="recorded-marker"
                title="Everything in this session is recorded and audited"
              >
                <span className="rec-dot" /> REC · recorded
              </span>
            ) : null}
            <span className={`badge ${state === 'open' ? 'ok' : 'warn'}`} data-testid="terminal-state">
              {STATE_LABEL[state]}
            </span>
            {session ? (
              <span className="muted mono" title={session.id}>
                session {session.id.slice(0, 12)}
              </span>
            ) : null}
            {reconnects ? (
              <span className="muted" title="The connection dropped and was resumed on the same shell">
                resumed {reconnects}×
              </span>
            ) : null}
            <span className="spacer" />
            <button type="button" className="btn sm" onClick={copySelection} title="Copy selection (Ctrl+Shift+C)">
              <Icon name="copy" size={12} /> Copy
            </button>
            <button type="button" className="btn sm" onClick={paste} title="Paste (Ctrl+Shift+V)">
              Paste
            </button>
            <button
              type="button"
              className="btn sm danger"
              onClick={() => conn.current?.close()}
              data-testid="terminal-close"
            >
              <Icon name="x" size={12} /> Close
            </button>
          </>
        ) : (
          <>
            <ShellOptions value={choice} onChange={setChoice} disabled={opening} />
            <span className="spacer" />
            {state !== 'idle' ? (
              <span className={`badge ${state === 'failed' ? 'danger' : ''}`} data-testid="terminal-state">
                {STATE_LABEL[state]}
                {detail ? `: ${detail}` : ''}
              </span>
            ) : null}
            {session && state !== 'idle' ? <Link href={`/shells/${session.id}`}>Replay this session</Link> : null}
            <button
              type="button"
              className="btn primary sm"
              onClick={open}
              disabled={opening || !canOpen}
              data-testid="terminal-open"
            >
              <Icon name="terminal" size={12} />{' '}
              {opening ? 'Opening…' : state === 'idle' ? 'Open terminal' : 'Open a new session'}
            </button>
          </>
        )}
      </div>
      {!canOpen ? (
        <div className="alert warn" style={{ margin: 12 }} data-testid="terminal-denied">
          Your role on this host is {role ?? 'none'}; opening a terminal needs operator or admin.
        </div>
      ) : null}
      {openError ? (
        <div className="alert error" role="alert" style={{ margin: 12 }} data-testid="terminal-error">
          {forbidden
            ? `You cannot open a terminal on this host: ${errorMessage(openError)} (operators and admins can).`
            : errorMessage(openError)}
        </div>
      ) : null}
      <div className="terminal-frame" data-renderer={renderer}>
        {state === 'idle' && !opening ? (
          <div className="terminal-placeholder faint">
            Choose a command and open a terminal. Sessions are recorded and appear in Shell sessions.
          </div>
        ) : null}
        <div ref={hostEl} className="terminal-host" data-testid="terminal" />
      </div>
    </div>
  );
}
