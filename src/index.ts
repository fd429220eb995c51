/**
 * The library entry (`import { createGateway } from 'cognito-gateway'`): build a gateway from a config
 * and runtime dependencies, or load a config first. Runtime-neutral: the Node server is
 * `cognito-gateway/node`, the Worker `cognito-gateway/worker`, the emulator `cognito-gateway/emulator`.
 */
export { compileConfig, createGateway, createGatewayApp } from './gateway/app';
export type { Gateway, RuntimeDeps } from './gateway/context';
export { ConfigError, loadConfig, type ResolvedConfig } from './config/load';
