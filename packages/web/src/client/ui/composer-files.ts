import { ApiError, describeError } from '../api/api-error.js';
import type { AttachmentInfo } from '../api/types.js';
import { formatBytes } from './attachment-view.js';
import { el } from './dom.js';

interface Upload {
  file: File;
  done: Promise<AttachmentInfo>;
  item: HTMLLIElement;
  failed: boolean;
}

/** A person-readable reason an upload was refused. */
export function uploadError(name: string, err: unknown): string {
  if (err instanceof ApiError && err.code === 'payload_too_large') return `${name} is too large to send. ${err.message}`;
  if (err instanceof ApiError && err.code === 'unsupported_media_type') return `${name} cannot be sent here: ${err.message}`;
  return `${name} was not uploaded: ${describeError(err)}`;
}

/**
 * The files waiting in the composer: each starts uploading as soon as it is added (button,
 * drop or paste), with a progress bar, and is sent by its id with the next message.
 */
export class ComposerFiles {
  readonly list = el('ul', { class: 'uploads', attrs: { 'aria-label': 'Files to send' } });
  readonly button: HTMLLabelElement;
  readonly #input: HTMLInputElement;
  #uploads: Upload[] = [];

  constructor(private readonly options: { upload: (file: File, onProgress: (fraction: number) => void) => Promise<AttachmentInfo>; onError: (text: string) => void }) {
    this.#input = el('input', {
      class: 'sr-only',
      attrs: { type: 'file', multiple: true, 'aria-label': 'Attach files' },
      on: {
        change: () => {
          this.add([...(this.#input.files ?? [])]);
          this.#input.value = '';
        },
      },
    });
    this.button = el('label', { class: 'secondary attach', attrs: { title: 'Attach files' } }, this.#input, el('span', { attrs: { 'aria-hidden': 'true' } }, '📎'));
  }

  get count(): number {
    return this.#uploads.length;
  }

  add(files: File[]): void {
    for (const file of files) {
      const progress = el('progress', { attrs: { max: 1, value: 0, 'aria-label': `Uploading ${file.name}` } });
      const status = el('span', { class: 'upload-status' }, formatBytes(file.size));
      const item = el('li', { class: 'upload' }, el('span', { class: 'upload-name' }, file.name || 'pasted file'), ' ', progress, ' ', status);
      const upload: Upload = { file, item, failed: false, done: Promise.resolve(null as unknown as AttachmentInfo) };
      const remove = el('button', { class: 'secondary small', attrs: { type: 'button', 'aria-label': `Remove ${file.name}` }, on: { click: () => this.#remove(upload) } }, '×');
      item.append(' ', remove);
      upload.done = this.options.upload(file, (fraction) => (progress.value = fraction));
      upload.done.then(
        () => {
          progress.value = 1;
          item.classList.add('uploaded');
          status.textContent = `${formatBytes(file.size)} · ready`;
        },
        (err: unknown) => {
          upload.failed = true;
          item.classList.add('failed');
          progress.remove();
          status.textContent = uploadError(file.name || 'The file', err);
          this.options.onError(uploadError(file.name || 'The file', err));
        },
      );
      this.#uploads.push(upload);
      this.list.appendChild(item);
    }
  }

  /** Waits for every upload and hands out their ids, emptying the list; rejects (keeping the list) if one failed. */
  async take(): Promise<string[]> {
    const uploads = [...this.#uploads];
    const results = await Promise.allSettled(uploads.map((u) => u.done));
    if (results.some((r) => r.status === 'rejected')) {
      this.options.onError('Remove the files that could not be uploaded, then send again.');
      throw new Error('an upload failed');
    }
    this.clear();
    return results.map((r) => (r as PromiseFulfilledResult<AttachmentInfo>).value.id);
  }

  clear(): void {
    this.#uploads = [];
    this.list.replaceChildren();
  }

  #remove(upload: Upload): void {
    this.#uploads = this.#uploads.filter((u) => u !== upload);
    upload.item.remove();
  }
}
