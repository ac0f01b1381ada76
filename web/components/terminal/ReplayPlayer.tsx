'use client';
import { useCallback, useEffect, useRef, useState } from 'react';
import { type Cast, eventsDue, outputBetween, ReplayClock, sizeAt } from '@/lib/asciicast';
import { formatDuration } from '@/lib/format';
import { type MountedTerminal, mountTerminal, type TerminalHost } from '@/lib/xterm';
import { Icon } from '../Icon';

const SPEEDS = [0.5, 1, 2, 4, 8];

/**
 * Replays an asciicast v2 recording into xterm. The terminal is driven from a ReplayClock each
 * animation frame: forward motion writes only the newly due events, a backward seek resets the
 * terminal and writes everything up to the new position in one go.
 */
export default function ReplayPlayer({ cast }: { cast: Cast }) {
  const hostEl = useRef<TerminalHost>(null);
  const mounted = useRef<MountedTerminal | null>(null);
  const clock = useRef(new ReplayClock(cast.duration));
  const cursor = useRef(0);
  const size = useRef({ cols: 0, rows: 0 });
  const raf = useRef(0);
  const [pos, setPos] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState(1);
  const [ready, setReady] = useState(false);

  const render = useCallback(() => {
    const m = mounted.current;
    if (!m) return;
    const p = clock.current.position();
    const due = eventsDue(cast.events, p);
    if (due < cursor.current) {
      m.term.reset();
      cursor.current = 0;
    }
    const s = sizeAt(cast, due);
    if (s.cols !== size.current.cols || s.rows !== size.current.rows) {
      m.term.resize(s.cols, s.rows);
      size.current = s;
    }
    if (due > cursor.current) {
      m.term.write(outputBetween(cast.events, cursor.current, due));
      cursor.current = due;
    }
    setPos(p);
    if (clock.current.playing && clock.current.finished()) {
      clock.current.pause();
      setPlaying(false);
    }
  }, [cast]);

  const loop = useCallback(() => {
    render();
    raf.current = clock.current.playing ? requestAnimationFrame(loop) : 0;
  }, [render]);

  useEffect(() => {
    let disposed = false;
    const el = hostEl.current;
    if (!el) return;
    void mountTerminal(el, {
      cols: cast.header.width,
      rows: cast.header.height,
      disableStdin: true,
      cursorBlink: false,
      scrollback: 2000,
    }).then((m) => {
      if (disposed) return m.dispose();
      mounted.current = m;
      size.current = { cols: cast.header.width, rows: cast.header.height };
      m.term.resize(cast.header.width, cast.header.height);
      setReady(true);
    });
    return () => {
      disposed = true;
      cancelAnimationFrame(raf.current);
      mounted.current?.dispose();
      mounted.current = null;
    };
  }, [cast]);

  function play() {
    clock.current.play();
    setPlaying(true);
    cancelAnimationFrame(raf.current);
    raf.current = requestAnimationFrame(loop);
  }
  function pause() {
    clock.current.pause();
    setPlaying(false);
    render();
  }
  function seek(t: number) {
    clock.current.seek(t);
    render();
  }
  function changeSpeed(s: number) {
    clock.current.setSpeed(s);
    setSpeed(s);
  }

  return (
    <div className="card terminal-panel" data-testid="replay-player" data-ready={ready} data-playing={playing}>
      <div className="terminal-frame" style={{ height: 'auto', minHeight: 0, overflow: 'auto' }}>
        <div ref={hostEl} data-testid="replay-terminal" />
      </div>
      <div className="replay-controls">
        <button
          type="button"
          className="btn icon"
          aria-label={playing ? 'Pause' : 'Play'}
          data-testid="replay-toggle"
          disabled={!ready}
          onClick={playing ? pause : play}
        >
          <Icon name={playing ? 'pause' : 'play'} size={14} />
        </button>
        <span className="mono nowrap" data-testid="replay-time">
          {formatDuration(pos)} / {formatDuration(cast.duration)}
        </span>
        <input
          type="range"
          min={0}
          max={cast.duration || 0.001}
          step={0.01}
          value={pos}
          aria-label="Seek"
          data-testid="replay-seek"
          disabled={!ready}
          onChange={(e) => seek(Number(e.target.value))}
        />
        <fieldset className="btn-group" aria-label="Speed">
          {SPEEDS.map((s) => (
            <button key={s} type="button" className="btn sm" aria-pressed={speed === s} onClick={() => changeSpeed(s)}>
              {s}×
            </button>
          ))}
        </fieldset>
      </div>
    </div>
  );
}
