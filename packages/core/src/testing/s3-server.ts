import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
// @ts-expect-error s3rver ships no types; the surface used here is run()/close().
import S3rver from 's3rver';
import { S3ObjectStore } from '../objects/s3-object-store.js';

interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}

/**
 * A real S3-protocol server (s3rver, on local disk) on 127.0.0.1 with one bucket,
 * owned by the test: the S3 twin of the ObjectStore is tested against it, not a mock.
 */
export class TestS3Server {
  private constructor(
    private readonly server: S3rverInstance,
    private readonly directory: string,
    readonly endpoint: string,
    readonly bucket: string,
  ) {}

  static async start(bucket = 'chorus-test'): Promise<TestS3Server> {
    const directory = await mkdtemp(path.join(tmpdir(), 'chorus-s3-'));
    const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] }) as S3rverInstance;
    const { port } = await server.run();
    return new TestS3Server(server, directory, `http://127.0.0.1:${port}`, bucket);
  }

  /** The settings loadConfig reads for this server. */
  get env(): Record<string, string> {
    return {
      S3_BUCKET: this.bucket,
      S3_ENDPOINT: this.endpoint,
      S3_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    };
  }

  objectStore(): S3ObjectStore {
    return new S3ObjectStore({
      bucket: this.bucket,
      endpoint: this.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
  }

  async stop(): Promise<void> {
    await this.server.close();
    await rm(this.directory, { recursive: true, force: true });
  }
}
