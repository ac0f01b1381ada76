'use client';
import { useEffect, useState } from 'react';
import { applyTheme, nextTheme, readTheme, type ThemePref } from '@/lib/theme';
import { Icon } from './Icon';

const LABEL: Record<ThemePref, string> = { system: 'System theme', light: 'Light theme', dark: 'Dark theme' };

export function ThemeToggle() {
  // Starts as 'system' on the server and in the first client render, then syncs from storage.
  const [pref, setPref] = useState<ThemePref>('system');
  useEffect(() => setPref(readTheme()), []);
  const next = nextTheme(pref);
  return (
    <button
      type="button"
      className="btn ghost sm"
      data-testid="theme-toggle"
      data-theme-pref={pref}
      title={`${LABEL[pref]} — switch to ${LABEL[next].toLowerCase()}`}
      onClick={() => {
        applyTheme(next);
        setPref(next);
      }}
    >
      <Icon name={pref === 'light' ? 'sun' : pref === 'dark' ? 'moon' : 'monitor'} size={14} />
      {LABEL[pref]}
    </button>
  );
}
