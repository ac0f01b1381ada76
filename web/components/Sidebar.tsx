'use client';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { Icon, type IconName } from './Icon';
import { ThemeToggle } from './ThemeToggle';

type NavItem = { href: string; label: string; icon: IconName; admin?: boolean };

const WORKLOADS: NavItem[] = [
  { href: '/', label: 'Dashboard', icon: 'dashboard' },
  { href: '/containers', label: 'Containers', icon: 'box' },
  { href: '/images', label: 'Images', icon: 'layers' },
  { href: '/volumes', label: 'Volumes', icon: 'database' },
  { href: '/networks', label: 'Networks', icon: 'network' },
];
const ACCOUNTABILITY: NavItem[] = [
  { href: '/shells', label: 'Shell sessions', icon: 'terminal' },
  { href: '/audit', label: 'Audit log', icon: 'audit', admin: true },
];
const ADMIN: NavItem[] = [
  { href: '/hosts', label: 'Hosts', icon: 'server' },
  { href: '/users', label: 'Users & teams', icon: 'users' },
];

function isActive(pathname: string, href: string) {
  return href === '/' ? pathname === '/' : pathname === href || pathname.startsWith(`${href}/`);
}

function NavList({ items, pathname }: { items: NavItem[]; pathname: string }) {
  return (
    <>
      {items.map((item) => (
        <Link
          key={item.href}
          href={item.href}
          className="nav-link"
          aria-current={isActive(pathname, item.href) ? 'page' : undefined}
        >
          <Icon name={item.icon} />
          {item.label}
        </Link>
      ))}
    </>
  );
}

export function Sidebar({
  username,
  isAdmin,
  onSignOut,
}: {
  username?: string;
  isAdmin?: boolean;
  onSignOut: () => void;
}) {
  const pathname = usePathname() ?? '/';
  return (
    <nav className="sidebar" aria-label="Main">
      <Link href="/" className="brand">
        <span className="brand-mark">B</span>
        Berth
      </Link>
      <NavList items={WORKLOADS} pathname={pathname} />
      <div className="nav-section">Accountability</div>
      <NavList items={ACCOUNTABILITY.filter((i) => isAdmin || !i.admin)} pathname={pathname} />
      {isAdmin ? (
        <>
          <div className="nav-section">Administration</div>
          <NavList items={ADMIN} pathname={pathname} />
        </>
      ) : null}
      <div className="sidebar-foot">
        <div className="row">
          <Link href="/account" className="truncate grow" data-testid="current-user" title="Account settings">
            {username ?? '…'}
          </Link>
          {isAdmin ? <span className="badge accent plain">admin</span> : null}
        </div>
        <div className="row">
          <ThemeToggle />
          <span className="spacer" />
          <button
            type="button"
            className="btn ghost sm icon"
            title="Sign out"
            aria-label="Sign out"
            onClick={onSignOut}
          >
            <Icon name="logout" size={14} />
          </button>
        </div>
      </div>
    </nav>
  );
}
