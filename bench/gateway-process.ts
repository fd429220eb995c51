/**
 * One gateway in its own process for the benchmark (so the load generator does not share its event
 * loop). Config: config/demo.yaml with EMULATOR_URL and DEMO_UPSTREAM_URL; TOKEN_CACHE=off turns
 * the verified-token cache off. Prints "ready <port>" when listening.
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../src/config/load';
import { createLogger } from '../src/log';
import { startNodeGateway } from '../src/runtime/node';

const config = loadConfig(readFileSync(new URL('../config/demo.yaml', import.meta.url), 'utf8'), process.env);
config.tokens.cache.enabled = process.env.TOKEN_CACHE !== 'off';
const gateway = await startNodeGateway({ config, port: 0, host: '127.0.0.1', logger: createLogger({ level: 'error' }) });
console.log(`ready ${gateway.port}`);
process.on('SIGTERM', () => void gateway.close().then(() => process.exit(0)));
