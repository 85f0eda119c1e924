import { existsSync } from 'node:fs';

/** The built browser client, when @chorus/web has been built; the api then serves it at `/`. */
export async function resolveWebRoot(): Promise<string | undefined> {
  try {
    const web = (await import('@chorus/web' as string)) as { webRoot?: string };
    return web.webRoot && existsSync(web.webRoot) ? web.webRoot : undefined;
  } catch {
    return undefined;
  }
}
