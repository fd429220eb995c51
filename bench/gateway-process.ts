/**
 * One gateway in its own process for the benchmark, run as production runs it (tsx, info-level
 * access log to stdout, which the bench sends to /dev/null). Config: config/demo.yaml with
 * EMULATOR_URL and DEMO_UPSTREAM_URL. Prints "ready <port>" when listening (on stderr: stdout
 * carries the logs).
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../src/config/load';
import { startNodeGateway } from '../src/runtime/node';

const config = loadConfig(readFileSync(new URL('../config/demo.yaml', import.meta.url), 'utf8'), process.env);
config.listen.port = 0;
const gateway = await startNodeGateway({ config, port: 0, host: '127.0.0.1' });
console.error(`ready ${gateway.port}`);
process.on('SIGTERM', () => void gateway.close().then(() => process.exit(0)));
