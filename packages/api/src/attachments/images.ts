import sharp, { type FormatEnum, type Metadata } from 'sharp';

/** Thumbnails fit in this square (CSS pixels at 2x for a 160px preview). */
export const THUMBNAIL_SIZE = 320;
/** Larger images are not decoded (a decompression bomb is refused, not processed). */
const MAX_INPUT_PIXELS = 50_000_000;

// One image at a time per process and no cache: bounded memory under many uploads.
sharp.concurrency(1);
sharp.cache(false);

/** Formats sharp decodes here; others (e.g. SVG, which is never rendered) get no thumbnail. */
const DECODABLE = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif', 'image/tiff']);

export interface ProcessedImage {
  width: number;
  height: number;
  /** A WebP preview no larger than THUMBNAIL_SIZE square. */
  thumbnail: Buffer;
  /**
   * Set when the original carried EXIF (location, camera, time): the image re-encoded
   * without any metadata, written here; it replaces the original.
   */
  strippedFile?: string;
}

/**
 * Dimensions, a thumbnail and, when needed, a copy without EXIF. Null for types that are
 * not decodable images or bytes that do not decode (then the file is kept as a plain file).
 * Throws when the image has EXIF but cannot be re-encoded: better no upload than a leak.
 */
export async function processImage(file: string, contentType: string, strippedFile: string): Promise<ProcessedImage | null> {
  if (!DECODABLE.has(contentType)) return null;
  const options = { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' as const };
  let meta: Metadata;
  try {
    meta = await sharp(file, options).metadata();
  } catch {
    return null;
  }
  if (!meta.width || !meta.height) return null;
  // EXIF orientations 5..8 swap the axes when displayed.
  const swap = (meta.orientation ?? 1) >= 5;
  const width = swap ? meta.height : meta.width;
  const height = swap ? meta.width : meta.height;
  let thumbnail: Buffer;
  try {
    thumbnail = await sharp(file, options)
      .rotate()
      .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 75 })
      .toBuffer();
  } catch {
    if (meta.exif || meta.xmp) throw new Error('image metadata cannot be removed');
    return null;
  }
  const result: ProcessedImage = { width, height, thumbnail };
  if (meta.exif || meta.xmp || meta.iptc) {
    // sharp writes no metadata unless asked: re-encoding in the same format drops EXIF
    // (GPS included), after applying its orientation so the picture still stands upright.
    await sharp(file, { ...options, animated: contentType === 'image/gif' || contentType === 'image/webp' })
      .rotate()
      .toFormat(meta.format as keyof FormatEnum)
      .toFile(strippedFile);
    result.strippedFile = strippedFile;
  }
  return result;
}
