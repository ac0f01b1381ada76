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

/** 'dom' or 'webgl' (localStorage berth-terminal-renderer) forces that renderer, for GPUs or
 *  drivers where WebGL misrenders, or to measure; anything else means automatic. */
function rendererPreference(): 'dom' | 'webgl' | 'auto' {
  try {
    const v = localStorage.getItem('berth-terminal-renderer');
    return v === 'dom' || v === 'webgl' ? v : 'auto';
  } catch {
    return 'auto';
  }
}

/** WebGL drawn by the CPU (SwiftShader, llvmpipe: no GPU, as in VMs and headless browsers)
 *  costs the main thread far more per frame than the DOM renderer — in a flood, enough to
 *  starve the WebSocket — so the DOM renderer is used there instead. */
function softwareWebgl(): boolean {
  try {
    const gl = document.createElement('canvas').getContext('webgl2');
    if (!gl) return true;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const name = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return /swiftshader|llvmpipe|softpipe|software/i.test(name);
  } catch {
    return false;
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
 * be part of a server bundle) and mounts a terminal in `el`. WebGL is preferred when a GPU draws
 * it; xterm 6 has no canvas renderer, so without one, or when WebGL is unavailable or its context
 * is lost, the DOM renderer is used.
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
  const preference = rendererPreference();
  if (preference === 'webgl' || (preference === 'auto' && !softwareWebgl())) {
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
