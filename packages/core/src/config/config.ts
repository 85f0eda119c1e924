import { bool, ConfigError, int, intRenamed, list, oneOf, optionalStr, str, url, type Env } from './env.js';
import { jwtSecret, type JwtSecretSource } from './jwt-secret.js';
import { checkTrustProxy } from './trust-proxy.js';

export { PUBLIC_JWT_SECRETS } from './jwt-secret.js';

/** Every setting of every Chorus service. The README's configuration table mirrors this file. */
/**
 * permessage-deflate (RFC 7692) on the native WebSocket endpoint. Without context takeover a
 * message is compressed alone, so no connection keeps a compression history between messages;
 * the zlib state a connection holds once it has sent a compressed message is about
 * 2^(windowBits+2) + 2^(memLevel+9) bytes.
 */
export interface WsCompressionConfig {
  enabled: boolean;
  /** Messages shorter than this go uncompressed. */
  thresholdBytes: number;
  windowBits: number;
  memLevel: number;
  /** Keep the compression history across messages (better ratio, zlib state held per connection). */
  contextTakeover: boolean;
}

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
  /** Where jwt.secret came from (a generated one is logged once at start). */
  jwtSecretSource: JwtSecretSource;
  /**
   * Proxies whose X-Forwarded-For is believed (addresses, CIDRs, or proxy-addr's names
   * loopback/linklocal/uniquelocal). Empty: the socket's peer address is the client.
   */
  trustProxy: string[];
  /** Node's http server timeouts for every server Chorus creates. */
  http: {
    /** Whole request (headers and body) must arrive within this; 0 turns it off. */
    requestTimeoutMs: number;
    /** Request headers must arrive within this. */
    headersTimeoutMs: number;
  };
  limits: {
    maxMessageLength: number;
    /** Seconds after sending during which the sender may edit a message (0: never). */
    messageEditWindowSeconds: number;
    maxFrameBytes: number;
    maxHeaders: number;
    maxHeaderBytes: number;
    maxBodyBytes: number;
    sendBufferBytes: number;
    replayLimit: number;
    /** Bytes a connection's `since` replays may buffer beyond sendBufferBytes (one replay's worth, shared by its subscriptions). */
    replayBufferBytes: number;
    /** STOMP transactions: open ones per connection, and SENDs and bytes buffered in each until COMMIT. */
    maxOpenTransactions: number;
    transactionMaxFrames: number;
    transactionMaxBytes: number;
    /** Largest SockJS request body (xhr_send, jsonp_send); larger ones are answered 413 before being read. */
    sockjsMaxBodyBytes: number;
    sendRatePerSecond: number;
    sendBurst: number;
    /** POST /api/rooms/:id/messages, per user (defaults to the STOMP values). */
    httpSendRatePerSecond: number;
    httpSendBurst: number;
    /** GET /api/rooms/:id/messages (history pages), per user: each reads up to 200 messages. */
    historyReadRatePerSecond: number;
    historyReadBurst: number;
    subscribeRatePerSecond: number;
    subscribeBurst: number;
    loginAttemptsPerMinute: number;
    /** Login attempts per login name per minute, from all addresses together. */
    loginAccountAttemptsPerMinute: number;
    /** Sign-ups per client address per hour. */
    signupsPerHour: number;
    /** scrypt hashes computed at once per process, and requests allowed to wait for one. */
    passwordHashConcurrency: number;
    passwordHashQueue: number;
    /** POST /api/rooms per user: ROOM_CREATE_BURST per burst/rate minutes. */
    roomCreateRatePerMinute: number;
    roomCreateBurst: number;
    /** Join, leave and add-member per user: MEMBERSHIP_BURST per burst/rate minutes. */
    membershipRatePerMinute: number;
    membershipBurst: number;
    typingRatePerSecond: number;
    typingBurst: number;
  };
  heartbeat: { serverMs: number; clientMs: number };
  drainWindowMs: number;
  /** Presence entries expire this long after their replica's last heartbeat (which runs every ttlMs/3). */
  presence: { ttlMs: number };
  corsOrigins: string[];
  wsAllowedOrigins: string[];
  /** Port of the optional STOMP-over-TCP listener for backend services (STOMP_TCP_PORT); undefined = off. */
  stompTcpPort: number | undefined;
  /** permessage-deflate on /ws (WS_COMPRESSION*); off by default: see docs/operations.md, "Compression". */
  wsCompression: WsCompressionConfig;
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
  /**
   * Most group commits of sends in flight at once (APPEND_COMMITS_IN_FLIGHT; APPEND_COMMIT_LANES,
   * its earlier name, is still read). A room never has two.
   */
  appendCommitsInFlight: number;
  /** Sends a commit must carry to start beside others in flight (APPEND_MIN_CONCURRENT_BATCH). */
  appendMinConcurrentBatch: number;
  /** Milliseconds a send that finds no commit in flight waits for others before it commits (APPEND_LINGER_MS). */
  appendLingerMs: number;
}

export function loadConfig(env: Env = process.env): ChorusConfig {
  const mode = oneOf(env, 'NODE_ENV', 'development', ['development', 'production', 'test'] as const);
  const dataDir = str(env, 'DATA_DIR', './data');
  const { secret, source: jwtSecretSource } = jwtSecret(optionalStr(env, 'JWT_SECRET'), mode, dataDir);
  const requestTimeoutMs = int(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, 0, 3_600_000);
  const headersTimeoutMs = int(env, 'HTTP_HEADERS_TIMEOUT_MS', Math.min(10_000, requestTimeoutMs || 10_000), 100, 3_600_000);
  if (requestTimeoutMs > 0 && headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError('HTTP_HEADERS_TIMEOUT_MS', `must not exceed HTTP_REQUEST_TIMEOUT_MS (${requestTimeoutMs})`);
  }
  const sendRatePerSecond = int(env, 'SEND_RATE_PER_SECOND', 20, 1, 100_000);
  const sendBurst = int(env, 'SEND_BURST', 50, 1, 1_000_000);
  const maxFrameBytes = int(env, 'MAX_FRAME_BYTES', 65_536, 1024, 16_777_216);
  return {
    env: mode,
    host: str(env, 'HOST', '0.0.0.0'),
    port: int(env, 'PORT', 8080, 0, 65535),
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    dataDir,
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    databasePoolSize: int(env, 'DATABASE_POOL_SIZE', 10, 1, 200),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    jwt: {
      secret,
      issuer: str(env, 'JWT_ISSUER', 'chorus'),
      audience: str(env, 'JWT_AUDIENCE', 'chorus'),
      ttlSeconds: int(env, 'JWT_TTL_SECONDS', 86_400, 60, 31_536_000),
    },
    jwtSecretSource,
    trustProxy: checkTrustProxy('TRUST_PROXY', list(env, 'TRUST_PROXY', [])),
    http: { requestTimeoutMs, headersTimeoutMs },
    limits: {
      maxMessageLength: int(env, 'MAX_MESSAGE_LENGTH', 4000, 1, 1_000_000),
      messageEditWindowSeconds: int(env, 'MESSAGE_EDIT_WINDOW_SECONDS', 900, 0, 31_536_000),
      maxFrameBytes,
      maxHeaders: int(env, 'MAX_HEADERS', 32, 4, 1000),
      maxHeaderBytes: int(env, 'MAX_HEADER_BYTES', 4096, 64, 65_536),
      maxBodyBytes: int(env, 'MAX_BODY_BYTES', 65_536, 1024, 16_777_216),
      sendBufferBytes: int(env, 'SEND_BUFFER_BYTES', 1_048_576, 16_384, 268_435_456),
      replayLimit: int(env, 'REPLAY_LIMIT', 1000, 1, 100_000),
      replayBufferBytes: int(env, 'REPLAY_BUFFER_BYTES', 16_777_216, 65_536, 1_073_741_824),
      maxOpenTransactions: int(env, 'MAX_OPEN_TRANSACTIONS', 4, 1, 64),
      transactionMaxFrames: int(env, 'TRANSACTION_MAX_FRAMES', 100, 1, 10_000),
      transactionMaxBytes: int(env, 'TRANSACTION_MAX_BYTES', 262_144, 1024, 16_777_216),
      // The same bound as one WebSocket message (4 frames' worth): SockJS carries the frames JSON-quoted.
      sockjsMaxBodyBytes: int(env, 'SOCKJS_MAX_BODY_BYTES', maxFrameBytes * 4, 1024, 67_108_864),
      sendRatePerSecond,
      sendBurst,
      httpSendRatePerSecond: int(env, 'HTTP_SEND_RATE_PER_SECOND', sendRatePerSecond, 1, 100_000),
      httpSendBurst: int(env, 'HTTP_SEND_BURST', sendBurst, 1, 1_000_000),
      historyReadRatePerSecond: int(env, 'HISTORY_READ_RATE_PER_SECOND', 20, 1, 100_000),
      historyReadBurst: int(env, 'HISTORY_READ_BURST', 100, 1, 1_000_000),
      subscribeRatePerSecond: int(env, 'SUBSCRIBE_RATE_PER_SECOND', 20, 1, 100_000),
      subscribeBurst: int(env, 'SUBSCRIBE_BURST', 100, 1, 1_000_000),
      loginAttemptsPerMinute: int(env, 'LOGIN_ATTEMPTS_PER_MINUTE', 10, 1, 100_000),
      loginAccountAttemptsPerMinute: int(env, 'LOGIN_ACCOUNT_ATTEMPTS_PER_MINUTE', 20, 1, 100_000),
      signupsPerHour: int(env, 'SIGNUPS_PER_HOUR', 20, 1, 1_000_000),
      passwordHashConcurrency: int(env, 'PASSWORD_HASH_CONCURRENCY', 2, 1, 64),
      passwordHashQueue: int(env, 'PASSWORD_HASH_QUEUE', 32, 0, 10_000),
      roomCreateRatePerMinute: int(env, 'ROOM_CREATE_RATE_PER_MINUTE', 10, 1, 100_000),
      roomCreateBurst: int(env, 'ROOM_CREATE_BURST', 10, 1, 1_000_000),
      membershipRatePerMinute: int(env, 'MEMBERSHIP_RATE_PER_MINUTE', 30, 1, 100_000),
      membershipBurst: int(env, 'MEMBERSHIP_BURST', 20, 1, 1_000_000),
      typingRatePerSecond: int(env, 'TYPING_RATE_PER_SECOND', 1, 1, 1000),
      typingBurst: int(env, 'TYPING_BURST', 3, 1, 1000),
    },
    heartbeat: {
      serverMs: int(env, 'HEARTBEAT_SERVER_MS', 25_000, 0, 600_000),
      clientMs: int(env, 'HEARTBEAT_CLIENT_MS', 25_000, 0, 600_000),
    },
    drainWindowMs: int(env, 'DRAIN_WINDOW_MS', 10_000, 0, 600_000),
    presence: { ttlMs: int(env, 'PRESENCE_TTL_MS', 30_000, 300, 3_600_000) },
    corsOrigins: list(env, 'CORS_ORIGINS', []),
    wsAllowedOrigins: list(env, 'WS_ALLOWED_ORIGINS', []),
    stompTcpPort: optionalStr(env, 'STOMP_TCP_PORT') === undefined ? undefined : int(env, 'STOMP_TCP_PORT', 0, 0, 65535),
    wsCompression: {
      enabled: bool(env, 'WS_COMPRESSION', false),
      thresholdBytes: int(env, 'WS_COMPRESSION_THRESHOLD_BYTES', 1024, 0, 16_777_216),
      // zlib's raw deflate refuses 8; 9..15 as RFC 7692 allows.
      windowBits: int(env, 'WS_COMPRESSION_WINDOW_BITS', 11, 9, 15),
      memLevel: int(env, 'WS_COMPRESSION_MEM_LEVEL', 4, 1, 9),
      contextTakeover: bool(env, 'WS_COMPRESSION_CONTEXT_TAKEOVER', false),
    },
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
    appendCommitsInFlight: intRenamed(env, 'APPEND_COMMITS_IN_FLIGHT', 'APPEND_COMMIT_LANES', 2, 1, 200),
    appendMinConcurrentBatch: int(env, 'APPEND_MIN_CONCURRENT_BATCH', 16, 1, 512),
    appendLingerMs: int(env, 'APPEND_LINGER_MS', 0, 0, 100),
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
