export { ChatGateway, type ChatGatewayDeps } from './gateway/chat-gateway.js';
export { WS_PATH, SOCKJS_PREFIX } from './gateway/endpoints.js';
export { CloseCodes } from './protocol/close-codes.js';
export { type Transport } from './stomp/transport.js';
export { createOpsServer } from './ops-server.js';
export { RoomHub } from './fanout/room-hub.js';
export { parseDestination, type Destination } from './protocol/destinations.js';
