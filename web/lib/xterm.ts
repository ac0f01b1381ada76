'use client';
import type { FitAddon } from '@xterm/addon-fit';
import type { ITerminalInitOnlyOptions, ITerminalOptions, Terminal } from '@xterm/xterm';

export type Renderer = 'webgl' | 'dom';
export type MountedTerminal = { term: Terminal; fit: FitAddon; renderer: Renderer; dispose: () => void };

/** The element a terminal is mounted in exposes its buffer text, so automation (the e2e suite,
 *  screen-reader tooling) can read what the WebGL canvas draws without OCR. */
export type TerminalHost = HTMLDivElement & { berthBufferText?: (lastLines?: number) => string };

/** The buffer's text (scrollback included), or only the `lastLines` lines up to the cursor
 *  (the rows below it are blank screen, not output). */
export function bufferText(term: Terminal, lastLines?: number): string {
  const buf = term.buffer.active;
  const end = lastLines ? buf.baseY + buf.cursorY + 1 : buf.length;
  const lines: string[] = [];
  for (let y = lastLines ? Math.max(0, end - lastLines) : 0; y < end; y++)
    lines.push(buf.getLine(y)?.translateToString(true) ?? '');
  return lines.join('\n').replace(/\n+$/, '');
}

/** 'dom' forces the DOM renderer (localStorage berth-terminal-renderer), for GPUs or drivers
 *  where WebGL misrenders; anything else means WebGL when available. */
function rendererPreference(): 'dom' | 'auto' {
  try {
    return localStorage.getItem('berth-terminal-renderer') === 'dom' ? 'dom' : 'auto';
  } catch {
    return 'auto';
  }
}

const THEME = {
  background: '#0f1318',
  foreground: '#d8dee6',
  cursor: '#d8dee6',
  selectionBackground: '#3b5a8c',
  black: '#1b2129',
  brightBlack: '#5c6773',
};

/**
 * Loads xterm and its addons on demand (they touch `window` at import time, so they must never
 * be part of a server bundle) and mounts a terminal in `el`. WebGL is preferred; xterm 6 has no
 * canvas renderer, so when WebGL is unavailable or its context is lost we fall back to the DOM one.
 */
export async function mountTerminal(
  el: TerminalHost,
  options: ITerminalOptions & ITerminalInitOnlyOptions = {},
): Promise<MountedTerminal> {
  const [{ Terminal }, { FitAddon }] = await Promise.all([import('@xterm/xterm'), import('@xterm/addon-fit')]);
  const term = new Terminal({
    fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
    fontSize: 13,
    cursorBlink: true,
    scrollback: 5000,
    allowProposedApi: false,
    theme: THEME,
    ...options,
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(el);
  let renderer: Renderer = 'dom';
  if (rendererPreference() !== 'dom') {
    try {
      const { WebglAddon } = await import('@xterm/addon-webgl');
      const webgl = new WebglAddon();
      webgl.onContextLoss(() => {
        // The DOM renderer takes over when the addon is disposed.
        webgl.dispose();
        el.dataset.renderer = 'dom';
      });
      term.loadAddon(webgl);
      renderer = 'webgl';
    } catch {
      renderer = 'dom';
    }
  }
  el.dataset.renderer = renderer;
  el.berthBufferText = (lastLines) => bufferText(term, lastLines);
  try {
    fit.fit();
  } catch {
    // A hidden (display:none) parent has no size yet; the ResizeObserver fits it later.
  }
  return {
    term,
    fit,
    renderer,
    dispose: () => {
      el.berthBufferText = undefined;
      term.dispose();
    },
  };
}
