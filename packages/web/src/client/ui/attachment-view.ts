import { describeError } from '../api/api-error.js';
import type { AttachmentInfo } from '../api/types.js';
import { el } from './dom.js';

/** Loads an attachment (or thumbnail) url as a blob: URL. */
export type BlobLoader = (url: string) => Promise<string>;

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * A message's files: images as thumbnails that open full size, other files as chips with
 * name, size and a download button. Nothing is loaded from the API by the browser itself:
 * every file comes through `load` (an authenticated fetch) as a blob: URL.
 */
export function attachmentList(attachments: readonly AttachmentInfo[], load: BlobLoader): HTMLElement {
  return el('div', { class: 'attachments' }, ...attachments.map((a) => (a.thumbnailUrl ? imageThumb(a, a.thumbnailUrl, load) : fileChip(a, load))));
}

function imageThumb(a: AttachmentInfo, thumbnailUrl: string, load: BlobLoader): HTMLElement {
  const img = el('img', { class: 'thumb', attrs: { alt: a.name } });
  const button = el('button', { class: 'thumb-button', attrs: { type: 'button', title: `Open ${a.name} full size` }, on: { click: () => void openFull(a, load) } }, img);
  load(thumbnailUrl).then(
    (url) => (img.src = url),
    () => button.replaceWith(fileChip(a, load)),
  );
  return button;
}

async function openFull(a: AttachmentInfo, load: BlobLoader): Promise<void> {
  const url = await load(a.url);
  const close = () => dialog.remove();
  const dialog = el(
    'div',
    { class: 'lightbox', attrs: { role: 'dialog', 'aria-label': a.name, 'aria-modal': 'true' }, on: { click: close, keydown: (e) => e.key === 'Escape' && close() } },
    el('img', { class: 'full', attrs: { src: url, alt: a.name } }),
    el('button', { class: 'secondary small', attrs: { type: 'button' }, on: { click: close } }, 'Close'),
  );
  document.body.appendChild(dialog);
  dialog.querySelector('button')?.focus();
}

function fileChip(a: AttachmentInfo, load: BlobLoader): HTMLElement {
  const status = el('span', { class: 'chip-status', attrs: { 'aria-live': 'polite' } });
  const button = el(
    'button',
    {
      class: 'chip',
      attrs: { type: 'button', title: `Download ${a.name}` },
      on: {
        click: () => {
          status.textContent = '';
          load(a.url).then(
            (url) => {
              // A download (never a navigation): the browser saves the file under its name.
              const link = el('a', { attrs: { href: url, download: a.name, hidden: true } });
              document.body.appendChild(link);
              link.click();
              link.remove();
            },
            (err: unknown) => (status.textContent = `Download failed: ${describeError(err)}`),
          );
        },
      },
    },
    el('span', { class: 'chip-name' }, a.name),
    ' ',
    el('span', { class: 'chip-size' }, formatBytes(a.size)),
  );
  return el('span', { class: 'chip-wrap' }, button, status);
}
