/**
 * The demo upstream alone (the container demo runs it as its own service): echoes each request and
 * shows the identity headers the gateway added. Env: DEMO_UPSTREAM_PORT (9080), DEMO_UPSTREAM_HOST (127.0.0.1).
 */
import { serve } from '@hono/node-server';
import { createDemoUpstreamApp } from './upstream';

const port = Number(process.env.DEMO_UPSTREAM_PORT ?? 9080);
const hostname = process.env.DEMO_UPSTREAM_HOST ?? '127.0.0.1';
const server = serve({ fetch: createDemoUpstreamApp().fetch, hostname, port }, (info) => console.log(`demo upstream on http://${hostname}:${info.port}`));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
