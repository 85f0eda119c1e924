import path from 'node:path';
import type { ChorusConfig } from '../config/config.js';
import { FsObjectStore } from './fs-object-store.js';
import type { ObjectStore } from './object-store.js';
import { S3ObjectStore } from './s3-object-store.js';

/** S3 when S3_BUCKET is set (credentials from the SDK's default chain), else files under DATA_DIR/objects. */
export async function openObjectStore(config: Pick<ChorusConfig, 's3' | 'dataDir'>): Promise<ObjectStore> {
  if (config.s3) return new S3ObjectStore(config.s3);
  return new FsObjectStore(path.join(config.dataDir, 'objects')).open();
}
