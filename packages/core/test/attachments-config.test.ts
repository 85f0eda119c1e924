import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { MemoryBroker } from '../src/broker/memory-broker.js';
import { loadConfig } from '../src/config/config.js';
import { ConfigError } from '../src/config/env.js';
import { Readiness } from '../src/observability/readiness.js';
import type { Store } from '../src/store/store.js';

describe('attachment settings', () => {
  it('defaults: 25 MiB, any type, 10 per message, files under DATA_DIR (no S3)', () => {
    const config = loadConfig({});
    expect(config.attachments).toEqual({
      maxBytes: 26_214_400,
      allowedTypes: [],
      maxPerMessage: 10,
      uploadsPerMinute: 30,
      uploadBurst: 20,
      unattachedTtlSeconds: 86_400,
      presignedDownloads: false,
      presignTtlSeconds: 300,
    });
    expect(config.s3).toBeUndefined();
  });

  it('reads the S3 settings, and refuses an endpoint without a bucket', () => {
    const config = loadConfig({ S3_BUCKET: 'files', S3_ENDPOINT: 'http://minio:9000', S3_FORCE_PATH_STYLE: 'true', S3_REGION: 'eu-west-1', ATTACHMENT_ALLOWED_TYPES: 'Image/*, application/pdf' });
    expect(config.s3).toEqual({ bucket: 'files', endpoint: 'http://minio:9000', region: 'eu-west-1', forcePathStyle: true });
    expect(config.attachments.allowedTypes).toEqual(['image/*', 'application/pdf']);
    expect(() => loadConfig({ S3_ENDPOINT: 'http://minio:9000' })).toThrow(ConfigError);
    expect(() => loadConfig({ S3_BUCKET: 'b', S3_ENDPOINT: 'ftp://x' })).toThrow(/S3_ENDPOINT/);
    expect(() => loadConfig({ MAX_ATTACHMENT_BYTES: '0' })).toThrow(/MAX_ATTACHMENT_BYTES/);
  });
});

describe('readiness with the object store', () => {
  it('is unready while an added check fails, and ready again when it passes', async () => {
    const store = { ping: async () => undefined } as unknown as Store;
    const broker = new MemoryBroker({ logger: pino({ level: 'silent' }) });
    let objectsUp = false;
    const readiness = new Readiness(store, broker, undefined, 60_000);
    readiness.addCheck('object store', async () => {
      if (!objectsUp) throw new Error('down');
    });
    await readiness.start();
    expect(readiness.state()).toEqual({ ready: false, reasons: ['object store unavailable'] });
    objectsUp = true;
    readiness.stop();
    const again = new Readiness(store, broker, undefined, 60_000);
    again.addCheck('object store', async () => undefined);
    await again.start();
    expect(again.state()).toEqual({ ready: true, reasons: [] });
    again.stop();
    await broker.close();
  });
});
