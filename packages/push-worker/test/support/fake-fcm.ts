import { generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Agent, createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect, type ConnectionOptions } from 'node:tls';
import { generate } from 'selfsigned';

/** What firebase-admin puts on the wire for one message (the fields the tests read). */
export interface WireMessage {
  token: string;
  notification?: { title?: string; body?: string };
  data?: Record<string, string>;
  android?: { collapse_key?: string; priority?: string; notification?: { tag?: string } };
  apns?: { headers?: Record<string, string>; payload?: unknown };
  webpush?: { headers?: Record<string, string>; notification?: { tag?: string } };
}

export interface ReceivedSend {
  /** Order of arrival, from 1. */
  n: number;
  host: string | undefined;
  path: string;
  authorization: string | undefined;
  /** The service account whose access token authorised the call (undefined: unknown token). */
  clientEmail: string | undefined;
  message: WireMessage;
  /** What the stand-in answered (undefined while held or when the client went away). */
  answeredStatus?: number;
}

export interface TokenExchange {
  host: string | undefined;
  grantType: string | null;
  clientEmail: string | undefined;
  signatureValid: boolean;
}

/** How to answer one send: a status (200 means accepted), optional headers and body; or hold it forever. */
export type Answer = { status: number; headers?: Record<string, string>; errorCode?: string; delayMs?: number } | 'hold';
export type Script = (send: ReceivedSend, previousForToken: number) => Answer;

const FCM_ERRORS: Record<number, { status: string; message: string; errorCode: string }> = {
  400: { status: 'INVALID_ARGUMENT', message: 'Request contains an invalid argument.', errorCode: 'INVALID_ARGUMENT' },
  404: { status: 'NOT_FOUND', message: 'Requested entity was not found.', errorCode: 'UNREGISTERED' },
  429: { status: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded.', errorCode: 'QUOTA_EXCEEDED' },
  500: { status: 'INTERNAL', message: 'Internal error encountered.', errorCode: 'INTERNAL' },
  503: { status: 'UNAVAILABLE', message: 'The service is currently unavailable.', errorCode: 'UNAVAILABLE' },
};

export const PROJECT_ID = 'chorus-test';

/**
 * A local HTTPS stand-in for the two Google endpoints firebase-admin calls: the OAuth2 token
 * exchange (POST /token, JWT bearer grant, signature checked against the service account's
 * public key) and FCM HTTP v1 (POST /v1/projects/<id>/messages:send, bearer token checked).
 * Its certificate is issued by a CA generated at start, for *.googleapis.com; `agent()` dials
 * it whatever host a request names, trusting only that CA. Answers are scripted per send.
 */
export class FakeFcm extends EventEmitter {
  readonly sends: ReceivedSend[] = [];
  readonly tokenExchanges: TokenExchange[] = [];
  script: Script = () => ({ status: 200 });
  readonly #publicKeys = new Map<string, KeyObject>();
  readonly #accessTokens = new Map<string, string>();
  readonly #sockets = new Set<Socket>();
  readonly #held = new Set<ServerResponse>();

  private constructor(
    readonly server: Server,
    readonly ca: string,
  ) {
    super();
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    server.on('request', (req, res) => void this.#handle(req, res));
  }

  static async start(): Promise<FakeFcm> {
    const notAfterDate = new Date(Date.now() + 86_400_000);
    const ca = await generate([{ name: 'commonName', value: 'Chorus Test CA' }], {
      algorithm: 'sha256',
      notAfterDate,
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      ],
    });
    const leaf = await generate([{ name: 'commonName', value: 'fcm.googleapis.com' }], {
      algorithm: 'sha256',
      notAfterDate,
      ca: { key: ca.private, cert: ca.cert },
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 2, value: '*.googleapis.com' }, { type: 2, value: 'googleapis.com' }] },
      ],
    });
    const server = createServer({ key: leaf.private, cert: leaf.cert });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new FakeFcm(server, ca.cert);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** An HTTPS agent that sends every request to this server and trusts only the test CA. */
  agent(): Agent {
    return localAgent(this.port, this.ca);
  }

  /** A fresh service account key (real RSA key pair) this server will accept. */
  serviceAccount(clientEmail = `push-${randomBytes(4).toString('hex')}@${PROJECT_ID}.iam.gserviceaccount.com`): Record<string, string> {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.#publicKeys.set(clientEmail, publicKey);
    return {
      type: 'service_account',
      project_id: PROJECT_ID,
      private_key_id: randomBytes(8).toString('hex'),
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: clientEmail,
      client_id: '1',
      token_uri: 'https://oauth2.googleapis.com/token',
    };
  }

  /** Sends accepted (answered 200). */
  get accepted(): ReceivedSend[] {
    return this.sends.filter((s) => s.answeredStatus === 200);
  }

  sendsTo(token: string): ReceivedSend[] {
    return this.sends.filter((s) => s.message.token === token);
  }

  /** Resolves once `count` sends have arrived in total. */
  async waitForSends(count: number, timeoutMs = 20_000): Promise<ReceivedSend[]> {
    if (this.sends.length >= count) return this.sends;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('send', onSend);
        reject(new Error(`waited ${timeoutMs} ms for ${count} sends, got ${this.sends.length}`));
      }, timeoutMs);
      const onSend = () => {
        if (this.sends.length < count) return;
        clearTimeout(timer);
        this.off('send', onSend);
        resolve(this.sends);
      };
      this.on('send', onSend);
    });
  }

  /** Resolves once `predicate` holds after some answered send. */
  async waitUntil(predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
    if (predicate()) return;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('answered', check);
        reject(new Error(`condition not met within ${timeoutMs} ms (sends: ${this.sends.length}, accepted: ${this.accepted.length})`));
      }, timeoutMs);
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.off('answered', check);
        resolve();
      };
      this.on('answered', check);
    });
  }

  reset(): void {
    this.sends.length = 0;
    this.tokenExchanges.length = 0;
    this.script = () => ({ status: 200 });
  }

  async close(): Promise<void> {
    for (const res of this.#held) res.destroy();
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'POST' && path === '/token') return this.#token(req, body, res);
    const match = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(path);
    if (req.method !== 'POST' || !match) return json(res, 404, { error: { code: 404, message: `no route ${path}`, status: 'NOT_FOUND' } });
    const authorization = req.headers.authorization;
    const clientEmail = this.#accessTokens.get(authorization?.replace(/^Bearer /, '') ?? '');
    const send: ReceivedSend = {
      n: this.sends.length + 1,
      host: req.headers.host,
      path,
      authorization,
      clientEmail,
      message: (JSON.parse(body) as { message: WireMessage }).message,
    };
    const previousForToken = this.sendsTo(send.message.token).length;
    this.sends.push(send);
    this.emit('send', send);
    if (!clientEmail) return this.#answer(send, res, 401, {}, { error: { code: 401, message: 'invalid credentials', status: 'UNAUTHENTICATED' } });
    const answer = this.script(send, previousForToken);
    if (answer === 'hold') {
      this.#held.add(res);
      res.on('close', () => this.#held.delete(res));
      return;
    }
    if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    if (answer.status === 200) return this.#answer(send, res, 200, {}, { name: `projects/${match[1]}/messages/${randomBytes(6).toString('hex')}` });
    const error = FCM_ERRORS[answer.status] ?? { status: 'UNKNOWN', message: 'error', errorCode: 'UNSPECIFIED_ERROR' };
    return this.#answer(send, res, answer.status, answer.headers ?? {}, {
      error: {
        code: answer.status,
        message: error.message,
        status: error.status,
        details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: answer.errorCode ?? error.errorCode }],
      },
    });
  }

  #answer(send: ReceivedSend, res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
    send.answeredStatus = status;
    json(res, status, body, headers);
    this.emit('answered', send);
  }

  #token(req: IncomingMessage, body: string, res: ServerResponse): void {
    const form = new URLSearchParams(body);
    const assertion = form.get('assertion') ?? '';
    const [header, payload, signature] = assertion.split('.');
    let clientEmail: string | undefined;
    let signatureValid = false;
    try {
      clientEmail = (JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as { iss?: string }).iss;
      const key = clientEmail ? this.#publicKeys.get(clientEmail) : undefined;
      signatureValid = key !== undefined && verify('sha256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature ?? '', 'base64url'));
    } catch {
      signatureValid = false;
    }
    this.tokenExchanges.push({ host: req.headers.host, grantType: form.get('grant_type'), clientEmail, signatureValid });
    if (!signatureValid || !clientEmail) return json(res, 400, { error: 'invalid_grant', error_description: 'bad assertion' });
    const accessToken = `ya29.test-${randomBytes(12).toString('hex')}`;
    this.#accessTokens.set(accessToken, clientEmail);
    json(res, 200, { access_token: accessToken, expires_in: 3599, token_type: 'Bearer' });
  }
}

/** An HTTPS agent dialing 127.0.0.1:port for every host, verifying the server against `ca` only. */
export function localAgent(port: number, ca: string): Agent {
  const agent = new Agent({ ca, keepAlive: true });
  // The agent reports a returned socket to its caller itself.
  agent.createConnection = (options: ConnectionOptions & { host?: string }) =>
    connect({ ...options, host: '127.0.0.1', port, ca, servername: options.servername ?? options.host });
  return agent;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers }).end(JSON.stringify(body));
}
