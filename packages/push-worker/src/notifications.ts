import type { PushClaim, PushJob, PushRecipient } from '@chorus/core';
import type { PushNotification } from './push-sender.js';

export interface NotificationOptions {
  /** Include the message text (and sender) in the visible notification. */
  previews: boolean;
  /** Longest text preview, in characters. */
  previewChars?: number;
}

/** A notification for one device plus what the worker needs to settle it. */
export interface PlannedNotification {
  notification: PushNotification;
  userId: string;
  /** The claimed jobs this notification covers (the recipient did not send them). */
  jobs: PushJob[];
}

const DEFAULT_PREVIEW_CHARS = 100;

/** One collapse key per room: every notification of a room replaces the previous one on the device. */
export const collapseKeyOf = (roomId: string) => `room-${roomId}`;

function preview(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  const chars = [...oneLine];
  return chars.length <= max ? oneLine : `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * What a message says in a notification: its text, or for a message of files only,
 * what was sent ("alice sent a photo", "alice sent 3 files").
 */
export function messageSummary(job: Pick<PushJob, 'senderUsername' | 'text' | 'attachments'>, maxChars: number): string {
  const text = preview(job.text, maxChars);
  if (text !== '' || !job.attachments || job.attachments.count === 0) return `${job.senderUsername}: ${text}`;
  const { count, images } = job.attachments;
  const noun = images === count ? (count === 1 ? 'a photo' : `${count} photos`) : count === 1 ? 'a file' : `${count} files`;
  return `${job.senderUsername} sent ${noun}`;
}

/**
 * The notifications for one claimed room: one per device of every recipient who is not
 * online and did not send all of the claimed messages. A device that already accepted
 * every job it would cover (an earlier, partly failed attempt) is skipped. The newest
 * message is shown; the count is the recipient's unread count, so an update says
 * "50 new messages" rather than arriving 50 times.
 */
export function planNotifications(
  claim: PushClaim,
  recipients: PushRecipient[],
  online: ReadonlySet<string>,
  options: NotificationOptions,
): PlannedNotification[] {
  const planned: PlannedNotification[] = [];
  const maxChars = options.previewChars ?? DEFAULT_PREVIEW_CHARS;
  for (const recipient of recipients) {
    if (online.has(recipient.userId)) continue;
    // A member who muted the room, and an edit's job, notify only of mentions.
    const jobs = claim.jobs.filter(
      (job) => job.senderId !== recipient.userId && (job.mentions?.includes(recipient.userId) || (!recipient.mentionsOnly && !job.mentionsOnly)),
    );
    const newest = jobs[jobs.length - 1];
    if (!newest) continue;
    const count = Math.max(recipient.unread, jobs.filter((job) => !job.mentionsOnly).length, 1);
    const body = options.previews
      ? `${count > 1 ? `${count} new messages · ` : ''}${messageSummary(newest, maxChars)}`
      : count > 1
        ? `${count} new messages`
        : `New message from ${newest.senderUsername}`;
    const data: Record<string, string> = {
      type: 'chorus.message',
      roomId: claim.roomId,
      roomName: claim.roomName,
      messageId: newest.messageId,
      seq: String(newest.seq),
      sender: newest.senderUsername,
      unread: String(count),
      count: String(jobs.length),
    };
    if (jobs.some((job) => job.mentions?.includes(recipient.userId))) data['mention'] = 'true';
    for (const device of recipient.devices) {
      if (jobs.every((job) => job.deliveredTokens.includes(device.token))) continue;
      planned.push({
        userId: recipient.userId,
        jobs,
        notification: {
          token: device.token,
          platform: device.platform,
          collapseKey: collapseKeyOf(claim.roomId),
          title: claim.roomName,
          body,
          data,
        },
      });
    }
  }
  return planned;
}
