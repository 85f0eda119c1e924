import { beforeAll, describe, expect, it } from 'vitest';
import { byKind, find, helmTemplate, type K8sObject } from '../src/manifests.js';
import { OVERLAYS } from '../src/paths.js';
import { renderAll, type Renders } from '../src/renders.js';
import { podTemplate, workloads } from '../src/workloads.js';

let r: Renders;
beforeAll(async () => {
  r = await renderAll();
}, 120_000);

/** The value a container sees for `name`: the last envFrom ConfigMap that sets it wins. */
function configValue(objects: K8sObject[], deployment: K8sObject, name: string): string | undefined {
  const container = podTemplate(deployment)!.spec.containers[0]!;
  return container
    .envFrom!.map((e) => objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === e.configMapRef?.name)?.data as Record<string, string> | undefined)
    .reduce<string | undefined>((value, data) => data?.[name] ?? value, undefined);
}

const bodySize = (objects: K8sObject[]) => find(objects, 'Ingress', 'chorus-api').metadata.annotations?.['nginx.ingress.kubernetes.io/proxy-body-size'];

describe('file transfer in the deployment', () => {
  it.each(OVERLAYS)('%s: the api Ingress admits MAX_ATTACHMENT_BYTES plus the multipart envelope, streamed', (overlay) => {
    const objects = r.overlays[overlay];
    const max = Number(configValue(objects, find(objects, 'Deployment', 'chorus-api'), 'MAX_ATTACHMENT_BYTES'));
    expect(max).toBeGreaterThan(0);
    expect(bodySize(objects)).toBe(String(max + 65536));
    expect(find(objects, 'Ingress', 'chorus-api').metadata.annotations?.['nginx.ingress.kubernetes.io/proxy-request-buffering']).toBe('off');
  });

  it('the body-size annotation follows a changed MAX_ATTACHMENT_BYTES', async () => {
    const objects = await helmTemplate({ setString: { 'config.MAX_ATTACHMENT_BYTES': '104857600' } });
    expect(bodySize(objects)).toBe(String(104857600 + 65536));
  });

  it.each(OVERLAYS)('%s: every Chorus service uses S3 (a bucket is set) and may take keys from chorus-secrets, optionally', (overlay) => {
    const objects = r.overlays[overlay];
    for (const d of byKind(objects, 'Deployment').filter((o) => o.metadata.labels?.['app.kubernetes.io/name'] === 'chorus')) {
      expect(configValue(objects, d, 'S3_BUCKET')).toMatch(/^[a-z0-9.-]{3,63}$/);
      const env = podTemplate(d)!.spec.containers[0]!.env ?? [];
      for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
        expect(env.find((e) => e.name === name)?.valueFrom?.secretKeyRef).toMatchObject({ name: expect.stringMatching(/^chorus-secrets/), key: name, optional: true });
      }
    }
  });

  it('the api spools uploads to a /tmp emptyDir big enough for several of them', () => {
    const pod = podTemplate(find(r.base, 'Deployment', 'chorus-api'))!.spec as unknown as { volumes: { name: string; emptyDir?: { sizeLimit?: string } }[] };
    expect(pod.volumes.find((v) => v.name === 'tmp')?.emptyDir?.sizeLimit).toBe('1Gi');
  });

  it('dev: an in-cluster MinIO with a PVC, its bucket made by a Job, the services pointed at it', () => {
    const dev = r.overlays.dev;
    const sts = find(dev, 'StatefulSet', 'chorus-minio').spec as { volumeClaimTemplates: unknown[] };
    expect(sts.volumeClaimTemplates).toHaveLength(1);
    const api = find(dev, 'Deployment', 'chorus-api');
    expect(configValue(dev, api, 'S3_ENDPOINT')).toBe('http://chorus-minio:9000');
    expect(configValue(dev, api, 'S3_FORCE_PATH_STYLE')).toBe('true');
    const job = workloads(dev).find((w) => w.metadata.name === 'chorus-minio-bucket')!;
    expect(job.kind).toBe('Job');
    const secret = byKind(dev, 'Secret')[0]!;
    expect(Object.keys(secret.data as Record<string, string>)).toEqual(expect.arrayContaining(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']));
  });
});
