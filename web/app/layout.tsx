import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import '@xterm/xterm/css/xterm.css';
import './styles/tokens.css';
import './styles/base.css';
import './styles/shell.css';
import './styles/controls.css';
import './styles/data.css';
import './styles/views.css';
import { Providers } from './providers';

export const metadata: Metadata = {
  title: { default: 'Berth', template: '%s · Berth' },
  description: 'One console for every Berth host',
};

// Applies a pinned theme before first paint so a dark-mode user never sees a light flash.
// Must stay tiny and dependency-free: it runs inline, ahead of React.
const themeScript = `try{var t=localStorage.getItem('berth-theme');if(t==='light'||t==='dark')document.documentElement.dataset.theme=t}catch(e){}`;

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en" suppressHydrationWarning>
      <head>
        {/* biome-ignore lint/security/noDangerouslySetInnerHtml: constant string, see themeScript */}
        <script dangerouslySetInnerHTML={{ __html: themeScript }} />
      </head>
      <body>
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
