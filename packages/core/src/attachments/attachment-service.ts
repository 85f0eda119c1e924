import type { Actor } from '../messaging/chat-service.js';
import { notFound } from '../errors.js';
import type { NewAttachment, Store, StoredAttachment } from '../store/store.js';

/**
 * The attachment rules the REST API applies around the bytes (which live in the ObjectStore):
 * recording an upload, and who may read one. Sending one is ChatService's (the one send path).
 */
export class AttachmentService {
  constructor(private readonly store: Pick<Store, 'createAttachment' | 'getAttachmentForMember'>) {}

  /** Records an upload whose bytes are already stored (bytes first, then the row). */
  createAttachment(attachment: NewAttachment): Promise<StoredAttachment> {
    return this.store.createAttachment(attachment);
  }

  /**
   * The attachment if `actor` may read it: a member of its room, and for an upload not yet sent,
   * its uploader only. Anyone else gets not_found, so a file's existence is not revealed.
   */
  async readableBy(id: string, actor: Actor): Promise<StoredAttachment> {
    const attachment = await this.store.getAttachmentForMember(id, actor.id);
    if (!attachment || (attachment.messageId === null && attachment.uploaderId !== actor.id)) throw notFound('attachment not found');
    return attachment;
  }
}
