import type {
  AccountService,
  AttachmentService,
  ChatService,
  ChorusConfig,
  DeviceService,
  DirectMessageService,
  Logger,
  Metrics,
  ModerationService,
  ObjectStore,
  Presence,
  PushQueue,
  ReadinessState,
  Store,
  TokenService,
} from '@chorus/core';

/** Everything the REST API needs, injected by whichever process hosts it. */
export interface ApiDeps {
  config: ChorusConfig;
  store: Store;
  chat: ChatService;
  tokens: TokenService;
  metrics: Metrics;
  logger: Logger;
  /** What /readyz answers (usually `() => readiness.state()` of core's Readiness). */
  readiness: () => ReadinessState;
  /** Who is online per room (GET /api/rooms/:id/presence); without it that route answers 503. */
  presence?: Presence;
  /** The push job queue (admin dead-letter routes); without it those routes answer 503. */
  pushQueue?: PushQueue;
  /** Where attachment bytes live; without it the attachment routes answer 503. */
  objects?: ObjectStore;
  /** Directory of the browser client, served at `/` when it exists. */
  webRoot?: string;
}

/**
 * What the REST route modules get: the services that hold the rules, never the store
 * (registerApi builds the account and device services from it).
 */
export type RouteDeps = Omit<ApiDeps, 'store'> & {
  accounts: AccountService;
  devices: DeviceService;
  attachments: AttachmentService;
  moderation: ModerationService;
  directs: DirectMessageService;
};
