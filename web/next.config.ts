import type { NextConfig } from 'next';

// The gateway serves this app through next({ dir, dev: false }) on its own origin, so a plain
// `.next` build is all it needs: no standalone output, no rewrites (the gateway owns /trpc, /ws, /api).
const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  typedRoutes: false,
};

export default nextConfig;
