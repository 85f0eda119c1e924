export { buildApiServer, registerApi, type ApiServerOptions } from './app.js';
export type { ApiDeps } from './deps.js';
export { API_AJV_OPTIONS } from './plugins/validation.js';
