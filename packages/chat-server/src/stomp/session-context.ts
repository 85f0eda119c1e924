import type { ChatService, ChorusConfig, Logger, Metrics, TokenService } from '@chorus/core';
import type { RoomEventHub } from '../fanout/room-event-hub.js';
import type { RoomHub } from '../fanout/room-hub.js';
import type { UnreadTracker } from '../fanout/unread-tracker.js';
import type { UserHub } from '../fanout/user-hub.js';
import type { PresenceTracker } from '../presence/presence-tracker.js';
import type { UserRateLimiter } from '../util/token-bucket.js';
import type { ParserLimits } from '../protocol/codec/index.js';
import type { HeartbeatScheduler } from './heartbeat-scheduler.js';

/** Process-wide services every session uses; built once by the gateway. */
export interface SessionContext {
  config: ChorusConfig;
  chat: ChatService;
  tokens: TokenService;
  roomHub: RoomHub;
  metrics: Metrics;
  logger: Logger;
  sendLimiter: UserRateLimiter;
  typingLimiter: UserRateLimiter;
  /** SUBSCRIBE buckets shared by every session of a user in this process (each session also has its own). */
  subscribeLimiter: UserRateLimiter;
  roomEventHub: RoomEventHub;
  userHub: UserHub;
  unread: UnreadTracker;
  presenceTracker: PresenceTracker;
  /** Unique per process; presence entries are named `<processId>:<session>:<subscription>`. */
  processId: string;
  serverName: string;
  /** Drives every session's heart-beats from one timer. */
  heartbeats: HeartbeatScheduler;
  /** The STOMP parser limits from config, frozen so that every session's parser shares them. */
  parserLimits: Readonly<ParserLimits>;
  /** Called when a session closes, so the gateway can forget it. */
  onClosed(session: { readonly id: number }): void;
}
