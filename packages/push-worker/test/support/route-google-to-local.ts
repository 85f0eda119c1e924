/**
 * Preloaded (`--import`) into worker processes spawned by tests: every HTTPS request that
 * uses the global agent (firebase-admin's token exchange, and its sends over the HTTP/1.1
 * transport) goes to the test's FCM stand-in, trusting only the test CA.
 */
import https from 'node:https';
import { localAgent } from './fake-fcm.js';

const port = Number(process.env.CHORUS_TEST_FCM_PORT);
const ca = process.env.CHORUS_TEST_FCM_CA;
if (!port || !ca) throw new Error('CHORUS_TEST_FCM_PORT and CHORUS_TEST_FCM_CA must be set');
(https as unknown as { globalAgent: https.Agent }).globalAgent = localAgent(port, ca);
