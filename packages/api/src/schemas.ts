import { Type, type TSchema } from '@sinclair/typebox';

/** Resource schemas shared by several route plugins. Request bodies live beside their routes. */

export const Uuid = Type.String({ format: 'uuid' });

export const PublicUser = Type.Object(
  { id: Uuid, username: Type.String(), email: Type.String() },
  { additionalProperties: false },
);

export const Room = Type.Object({
  id: Uuid,
  name: Type.String(),
  private: Type.Boolean(),
  createdBy: Uuid,
  createdAt: Type.String({ format: 'date-time' }),
  memberCount: Type.Integer({ minimum: 0 }),
  kind: Type.Optional(Type.Literal('direct', { description: 'the one-to-one room of two users (absent on other rooms)' })),
});

export const Attachment = Type.Object({
  id: Uuid,
  name: Type.String(),
  contentType: Type.String({ description: 'detected from the bytes' }),
  size: Type.Integer({ minimum: 0 }),
  width: Type.Optional(Type.Integer({ minimum: 1 })),
  height: Type.Optional(Type.Integer({ minimum: 1 })),
  url: Type.String({ description: 'GET with the bearer token for the bytes' }),
  thumbnailUrl: Type.Optional(Type.String({ description: 'images: a WebP preview at most 320x320' })),
});

export const Reaction = Type.Object({
  emoji: Type.String(),
  count: Type.Integer({ minimum: 1 }),
  mine: Type.Optional(Type.Literal(true, { description: 'the caller reacted with this emoji' })),
});

export const Message = Type.Object({
  id: Uuid,
  roomId: Uuid,
  seq: Type.Integer({ minimum: 1 }),
  type: Type.Union([Type.Literal('text'), Type.Literal('join'), Type.Literal('leave'), Type.Literal('edit'), Type.Literal('delete'), Type.Literal('reaction')], {
    description: 'edit/delete/reaction: an entry of the room sequence that changed the message `targetId` (edit carries the new text)',
  }),
  sender: Type.Object({ id: Uuid, username: Type.String() }),
  text: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  attachments: Type.Optional(Type.Array(Attachment, { description: 'files sent with the message, in order (absent when none)' })),
  targetId: Type.Optional(Type.String({ format: 'uuid', description: 'edit/delete entries: the message they changed' })),
  editedAt: Type.Optional(Type.String({ format: 'date-time', description: 'text messages: when last edited (text is the edited one)' })),
  deleted: Type.Optional(Type.Literal(true, { description: 'text messages: deleted (a tombstone: text is empty, no attachments)' })),
  replyTo: Type.Optional(
    Type.Object(
      {
        id: Uuid,
        sender: Type.Object({ id: Uuid, username: Type.String() }),
        text: Type.String({ description: 'the first 100 characters ("" once deleted)' }),
        deleted: Type.Optional(Type.Literal(true)),
      },
      { description: 'replies: a quote of the message answered, as it is now' },
    ),
  ),
  hidden: Type.Optional(Type.Literal(true, { description: "direct rooms, in the blocker's history: a blocked user's message, its text, files and quote withheld" })),
  reactions: Type.Optional(Type.Array(Reaction, { description: "text messages: reactions (history marks the caller's own); reaction entries: the target's reactions after the change" })),
  reaction: Type.Optional(Type.Object({ emoji: Type.String(), removed: Type.Optional(Type.Literal(true)) }, { description: 'reaction entries: the emoji added or taken back' })),
  mentions: Type.Optional(Type.Array(Uuid, { description: 'text messages: ids of the members mentioned with @username' })),
});

export const RoomIdParams = Type.Object({ id: Type.String({ format: 'uuid', description: 'room id' }) });

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'stable machine-readable code, e.g. not_found' }),
      message: Type.String({ description: 'human-readable explanation' }),
    }),
  },
  { description: 'error' },
);

const ERROR_DESCRIPTIONS = {
  400: 'invalid request (validation_failed or bad_request)',
  401: 'missing, invalid or expired token (unauthorized, token_expired)',
  403: 'not allowed (forbidden)',
  404: 'not found (not_found)',
  409: 'already exists (conflict)',
  413: 'too large (payload_too_large)',
  429: 'too many requests (rate_limited); see Retry-After',
  503: 'not ready or a dependency is down (unavailable)',
} as const;

type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS;

/** Response schemas for the error statuses a route can return. */
export function errorResponses<S extends ErrorStatus>(...statuses: S[]): Record<S, TSchema> {
  const out = {} as Record<S, TSchema>;
  for (const status of statuses) out[status] = { ...ErrorBody, description: ERROR_DESCRIPTIONS[status] };
  return out;
}

/** Security requirement for routes behind the bearer token. */
export const bearerAuth = [{ bearerAuth: [] as string[] }];
