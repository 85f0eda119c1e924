import { ApiError, errorFromBody } from './api-error.js';
import type { AttachmentInfo } from './types.js';

/**
 * Uploads and downloads of attachments. Uploads use XMLHttpRequest for its upload progress
 * events (fetch has none); downloads are fetched with the bearer token and handed out as
 * blob: URLs, so tokens never appear in URLs and files never load from the API directly.
 */
export class AttachmentsClient {
  readonly #blobs = new Map<string, Promise<string>>();

  constructor(private readonly options: { baseUrl: string; token: () => string | null }) {}

  upload(roomId: string, file: File, onProgress: (fraction: number) => void): Promise<AttachmentInfo> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `${this.options.baseUrl}/api/rooms/${encodeURIComponent(roomId)}/attachments`);
      const token = this.options.token();
      if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
      xhr.setRequestHeader('accept', 'application/json');
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
      };
      xhr.onload = () => {
        let body: unknown;
        try {
          body = xhr.responseText === '' ? undefined : JSON.parse(xhr.responseText);
        } catch {
          body = undefined;
        }
        if (xhr.status === 201) resolve(body as AttachmentInfo);
        else reject(errorFromBody(xhr.status, body, xhr.getResponseHeader('retry-after')));
      };
      // A refused upload may be answered while the body is still going out; the browser then
      // reports a network error rather than the answer.
      xhr.onerror = () => reject(new ApiError(0, 'network', 'the upload did not reach the server (too large, or the connection dropped)'));
      const form = new FormData();
      form.append('file', file, file.name || 'pasted-file');
      xhr.send(form);
    });
  }

  /** A blob: URL of the file at `url` (an attachment's url or thumbnailUrl), fetched once. */
  blobUrl(url: string): Promise<string> {
    let blob = this.#blobs.get(url);
    if (!blob) {
      blob = this.#fetch(url);
      this.#blobs.set(url, blob);
      blob.catch(() => this.#blobs.delete(url));
    }
    return blob;
  }

  async #fetch(url: string): Promise<string> {
    const token = this.options.token();
    const response = await fetch(this.options.baseUrl + url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    if (!response.ok) throw errorFromBody(response.status, await response.json().catch(() => undefined), null);
    return URL.createObjectURL(await response.blob());
  }
}
