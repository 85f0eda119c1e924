/** Server settings the benchmark hands on to Chorus when they are set in its environment (for experiments). */
export const CHORUS_PASS_THROUGH_ENV: readonly string[] = ['DATABASE_POOL_SIZE', 'APPEND_COMMIT_LANES', 'PUSH_EMBEDDED_WORKER', 'PUSH_BATCH_ROOMS', 'SEND_BUFFER_BYTES', 'HEARTBEAT_SERVER_MS', 'HEARTBEAT_CLIENT_MS', 'MAX_MESSAGE_LENGTH', 'PRESENCE_TTL_MS', 'UV_THREADPOOL_SIZE'];
