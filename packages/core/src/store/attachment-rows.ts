import type { AttachmentInfo } from '../domain/types.js';
import type { StoredAttachment } from './store.js';
import { isoTimestamp, type Timestamp } from './timestamps.js';

export interface AttachmentRow {
  id: string;
  room_id: string;
  uploader_id: string;
  name: string;
  content_type: string;
  size: string | number;
  width: number | null;
  height: number | null;
  object_key: string;
  thumbnail_key: string | null;
  created_at: Timestamp;
  message_id: string | null;
}

export const ATTACHMENT_COLUMNS =
  'id, room_id, uploader_id, name, content_type, size, width, height, object_key, thumbnail_key, created_at, message_id';

/** One attachment inside a message row's `attachments` JSON (see ATTACHMENTS_OF). */
interface AttachmentJson {
  id: string;
  name: string;
  content_type: string;
  size: number | string;
  width: number | null;
  height: number | null;
  thumb: boolean;
}

/** The JSON object a message row carries per attachment; `a` is the attachments alias. */
export const ATTACHMENT_JSON = (a: string) =>
  `json_build_object('id', ${a}.id, 'name', ${a}.name, 'content_type', ${a}.content_type, 'size', ${a}.size, 'width', ${a}.width, 'height', ${a}.height, 'thumb', ${a}.thumbnail_key IS NOT NULL)`;

/** A message query's `attachments` column (NULL when it has none); `m` is the messages alias. */
export const ATTACHMENTS_OF = (m: string) =>
  `(SELECT json_agg(${ATTACHMENT_JSON('a')} ORDER BY a.position) FROM attachments a WHERE a.message_id = ${m}.id) AS attachments`;

export const attachmentUrl = (id: string) => `/api/attachments/${id}`;

export function toAttachmentInfo(a: { id: string; name: string; contentType: string; size: number; width: number | null; height: number | null; thumb: boolean }): AttachmentInfo {
  const info: AttachmentInfo = { id: a.id, name: a.name, contentType: a.contentType, size: a.size, url: attachmentUrl(a.id) };
  if (a.width !== null && a.height !== null) {
    info.width = a.width;
    info.height = a.height;
  }
  if (a.thumb) info.thumbnailUrl = `${attachmentUrl(a.id)}/thumbnail`;
  return info;
}

/** The `attachments` column of a message row: JSON (parsed by pg and PGlite alike, or text) or NULL. */
export function toAttachmentList(value: unknown): AttachmentInfo[] | undefined {
  const list = (typeof value === 'string' ? JSON.parse(value) : value) as AttachmentJson[] | null | undefined;
  if (!list || list.length === 0) return undefined;
  return list.map((a) =>
    toAttachmentInfo({ id: a.id, name: a.name, contentType: a.content_type, size: Number(a.size), width: a.width, height: a.height, thumb: a.thumb }),
  );
}

export function toStoredAttachment(row: AttachmentRow): StoredAttachment {
  return {
    ...toAttachmentInfo({
      id: row.id,
      name: row.name,
      contentType: row.content_type,
      size: Number(row.size),
      width: row.width,
      height: row.height,
      thumb: row.thumbnail_key !== null,
    }),
    roomId: row.room_id,
    uploaderId: row.uploader_id,
    objectKey: row.object_key,
    thumbnailKey: row.thumbnail_key,
    messageId: row.message_id,
    createdAt: isoTimestamp(row.created_at),
  };
}
