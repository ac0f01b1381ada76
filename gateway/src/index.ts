// Public entry points of @berth/gateway (the console imports only the router type, from ./router).

export { BerthError, Errors } from './errors.js';
export type { AppRouter } from './root.js';
export { appRouter } from './root.js';
export { createGateway, type Gateway, type GatewayOptions } from './server.js';
