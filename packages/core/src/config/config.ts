import { bool, ConfigError, int, list, oneOf, optionalStr, str, url, type Env } from './env.js';

export const DEV_JWT_SECRET = 'chorus-development-secret-change-me-0000';

/** Every setting of every Chorus service. The README's configuration table mirrors this file. */
export interface ChorusConfig {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Embedded PGlite directory, used when databaseUrl is unset. */
  dataDir: string;
  databaseUrl: string | undefined;
  databasePoolSize: number;
  redisUrl: string | undefined;
  jwt: { secret: string; issuer: string; audience: string; ttlSeconds: number };
  limits: {
    maxMessageLength: number;
    maxFrameBytes: number;
    maxHeaders: number;
    maxHeaderBytes: number;
    maxBodyBytes: number;
    sendBufferBytes: number;
    replayLimit: number;
    sendRatePerSecond: number;
    sendBurst: number;
    /** POST /api/rooms/:id/messages, per user (defaults to the STOMP values). */
    httpSendRatePerSecond: number;
    httpSendBurst: number;
    subscribeRatePerSecond: number;
    subscribeBurst: number;
    loginAttemptsPerMinute: number;
    typingRatePerSecond: number;
    typingBurst: number;
  };
  heartbeat: { serverMs: number; clientMs: number };
  drainWindowMs: number;
  /** Presence entries expire this long after their replica's last heartbeat (which runs every ttlMs/3). */
  presence: { ttlMs: number };
  corsOrigins: string[];
  wsAllowedOrigins: string[];
  push: {
    previews: boolean;
    serviceAccountJson: string | undefined;
    credentialsFile: string | undefined;
    /** firebase-admin's default HTTP/2, or its HTTP/1.1 ("legacy") transport for proxies without HTTP/2. */
    fcmTransport: 'http2' | 'http1';
    /** Whether the standalone process runs a push worker (turn off when push-worker replicas run separately). */
    embeddedWorker: boolean;
    /** How often an idle worker looks for due jobs. */
    pollMs: number;
    /** Rooms claimed per round. */
    batchRooms: number;
    /** How long a claim is exclusive; a crashed worker's jobs become due again after it. */
    leaseMs: number;
    /** Claims before a failing job goes to the dead-letter state. */
    maxAttempts: number;
    /** Dead letters older than this are deleted by the lease holder; 0 keeps them. */
    deadLetterRetentionDays: number;
    retryBaseMs: number;
    retryMaxMs: number;
  };
  runMigrations: boolean;
  /** File transfer (docs/attachments.md). */
  attachments: {
    /** MAX_ATTACHMENT_BYTES: uploads beyond it are refused with 413 while streaming. */
    maxBytes: number;
    /** Detected content types accepted (`image/*` style wildcards allowed); empty: any. */
    allowedTypes: string[];
    maxPerMessage: number;
    /** Per-user upload budget: `uploadBurst` uploads per window of burst/rate minutes. */
    uploadsPerMinute: number;
    uploadBurst: number;
    /** Uploads never sent in a message are removed after this long (and orphan objects too). */
    unattachedTtlSeconds: number;
    /** On S3, answer downloads with a presigned redirect instead of proxying the bytes. */
    presignedDownloads: boolean;
    presignTtlSeconds: number;
  };
  /** S3-compatible object storage; undefined: files under DATA_DIR/objects. */
  s3: { bucket: string; endpoint: string | undefined; region: string; forcePathStyle: boolean } | undefined;
}

export function loadConfig(env: Env = process.env): ChorusConfig {
  const mode = oneOf(env, 'NODE_ENV', 'development', ['development', 'production', 'test'] as const);
  const secret = str(env, 'JWT_SECRET', DEV_JWT_SECRET);
  if (mode === 'production' && secret === DEV_JWT_SECRET) {
    throw new ConfigError('JWT_SECRET', 'must be set in production (the development default is public)');
  }
  if (secret.length < 32) throw new ConfigError('JWT_SECRET', 'must be at least 32 characters');
  const sendRatePerSecond = int(env, 'SEND_RATE_PER_SECOND', 20, 1, 100_000);
  const sendBurst = int(env, 'SEND_BURST', 50, 1, 1_000_000);
  return {
    env: mode,
    host: str(env, 'HOST', '0.0.0.0'),
    port: int(env, 'PORT', 8080, 0, 65535),
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    dataDir: str(env, 'DATA_DIR', './data'),
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    databasePoolSize: int(env, 'DATABASE_POOL_SIZE', 10, 1, 200),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    jwt: {
      secret,
      issuer: str(env, 'JWT_ISSUER', 'chorus'),
      audience: str(env, 'JWT_AUDIENCE', 'chorus'),
      ttlSeconds: int(env, 'JWT_TTL_SECONDS', 86_400, 60, 31_536_000),
    },
    limits: {
      maxMessageLength: int(env, 'MAX_MESSAGE_LENGTH', 4000, 1, 1_000_000),
      maxFrameBytes: int(env, 'MAX_FRAME_BYTES', 65_536, 1024, 16_777_216),
      maxHeaders: int(env, 'MAX_HEADERS', 32, 4, 1000),
      maxHeaderBytes: int(env, 'MAX_HEADER_BYTES', 4096, 64, 65_536),
      maxBodyBytes: int(env, 'MAX_BODY_BYTES', 65_536, 1024, 16_777_216),
      sendBufferBytes: int(env, 'SEND_BUFFER_BYTES', 1_048_576, 16_384, 268_435_456),
      replayLimit: int(env, 'REPLAY_LIMIT', 1000, 1, 100_000),
      sendRatePerSecond,
      sendBurst,
      httpSendRatePerSecond: int(env, 'HTTP_SEND_RATE_PER_SECOND', sendRatePerSecond, 1, 100_000),
      httpSendBurst: int(env, 'HTTP_SEND_BURST', sendBurst, 1, 1_000_000),
      subscribeRatePerSecond: int(env, 'SUBSCRIBE_RATE_PER_SECOND', 20, 1, 100_000),
      subscribeBurst: int(env, 'SUBSCRIBE_BURST', 100, 1, 1_000_000),
      loginAttemptsPerMinute: int(env, 'LOGIN_ATTEMPTS_PER_MINUTE', 10, 1, 100_000),
      typingRatePerSecond: int(env, 'TYPING_RATE_PER_SECOND', 1, 1, 1000),
      typingBurst: int(env, 'TYPING_BURST', 3, 1, 1000),
    },
    heartbeat: {
      serverMs: int(env, 'HEARTBEAT_SERVER_MS', 10_000, 0, 600_000),
      clientMs: int(env, 'HEARTBEAT_CLIENT_MS', 10_000, 0, 600_000),
    },
    drainWindowMs: int(env, 'DRAIN_WINDOW_MS', 10_000, 0, 600_000),
    presence: { ttlMs: int(env, 'PRESENCE_TTL_MS', 30_000, 300, 3_600_000) },
    corsOrigins: list(env, 'CORS_ORIGINS', []),
    wsAllowedOrigins: list(env, 'WS_ALLOWED_ORIGINS', []),
    push: {
      previews: bool(env, 'PUSH_PREVIEWS', true),
      serviceAccountJson: optionalStr(env, 'FCM_SERVICE_ACCOUNT_JSON'),
      credentialsFile: optionalStr(env, 'GOOGLE_APPLICATION_CREDENTIALS'),
      fcmTransport: oneOf(env, 'PUSH_FCM_TRANSPORT', 'http2', ['http2', 'http1'] as const),
      embeddedWorker: bool(env, 'PUSH_EMBEDDED_WORKER', true),
      pollMs: int(env, 'PUSH_POLL_MS', 500, 10, 60_000),
      batchRooms: int(env, 'PUSH_BATCH_ROOMS', 20, 1, 500),
      leaseMs: int(env, 'PUSH_LEASE_MS', 120_000, 100, 3_600_000),
      maxAttempts: int(env, 'PUSH_MAX_ATTEMPTS', 8, 1, 100),
      deadLetterRetentionDays: int(env, 'PUSH_DEAD_LETTER_RETENTION_DAYS', 14, 0, 3650),
      retryBaseMs: int(env, 'PUSH_RETRY_BASE_MS', 1000, 1, 3_600_000),
      retryMaxMs: int(env, 'PUSH_RETRY_MAX_MS', 600_000, 1, 86_400_000),
    },
    runMigrations: bool(env, 'RUN_MIGRATIONS', true),
    attachments: {
      maxBytes: int(env, 'MAX_ATTACHMENT_BYTES', 26_214_400, 1, 5_368_709_120),
      allowedTypes: list(env, 'ATTACHMENT_ALLOWED_TYPES', []).map((t) => t.toLowerCase()),
      maxPerMessage: int(env, 'MAX_ATTACHMENTS_PER_MESSAGE', 10, 1, 100),
      uploadsPerMinute: int(env, 'ATTACHMENT_UPLOADS_PER_MINUTE', 30, 1, 100_000),
      uploadBurst: int(env, 'ATTACHMENT_UPLOAD_BURST', 20, 1, 100_000),
      unattachedTtlSeconds: int(env, 'ATTACHMENT_UNATTACHED_TTL_SECONDS', 86_400, 60, 31_536_000),
      presignedDownloads: bool(env, 'S3_PRESIGNED_DOWNLOADS', false),
      presignTtlSeconds: int(env, 'S3_PRESIGN_TTL_SECONDS', 300, 10, 604_800),
    },
    s3: s3Settings(env),
  };
}

function s3Settings(env: Env): ChorusConfig['s3'] {
  const bucket = optionalStr(env, 'S3_BUCKET');
  const endpoint = url(env, 'S3_ENDPOINT', ['http:', 'https:']);
  const region = str(env, 'S3_REGION', 'us-east-1');
  const forcePathStyle = bool(env, 'S3_FORCE_PATH_STYLE', false);
  if (!bucket) {
    if (endpoint) throw new ConfigError('S3_ENDPOINT', 'is set but S3_BUCKET is not');
    return undefined;
  }
  return { bucket, endpoint, region, forcePathStyle };
}

/** Loads the config or exits the process with one line naming the bad variable. */
export function loadConfigOrExit(env: Env = process.env): ChorusConfig {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`chorus: invalid configuration: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}
