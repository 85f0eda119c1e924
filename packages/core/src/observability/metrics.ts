import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Every Prometheus metric Chorus exports. Dashboards, alerts and HPA rules in
 * deploy/ reference these names; a test scrapes the running services to keep
 * them in sync. One Registry per process (the standalone process holds all).
 */
export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });

  const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
  return {
    registry,
    ready: new Gauge({ name: 'chorus_ready', help: '1 when the process is ready to serve, 0 while starting or draining', registers: [registry] }),
    // chat-server
    connections: new Gauge({ name: 'chorus_ws_connections', help: 'Open STOMP connections', labelNames: ['transport'] as const, registers: [registry] }),
    connectionsTotal: new Counter({ name: 'chorus_ws_connections_total', help: 'STOMP connections accepted', labelNames: ['transport'] as const, registers: [registry] }),
    subscriptions: new Gauge({ name: 'chorus_stomp_subscriptions', help: 'Active STOMP subscriptions', registers: [registry] }),
    roomsActive: new Gauge({ name: 'chorus_rooms_active', help: 'Rooms with at least one local subscriber', registers: [registry] }),
    framesReceived: new Counter({ name: 'chorus_stomp_frames_received_total', help: 'STOMP frames received', labelNames: ['command'] as const, registers: [registry] }),
    stompErrors: new Counter({ name: 'chorus_stomp_errors_total', help: 'STOMP errors sent to clients', labelNames: ['code'] as const, registers: [registry] }),
    deliveries: new Counter({ name: 'chorus_deliveries_total', help: 'MESSAGE frames written to client sockets', registers: [registry] }),
    deliveryErrors: new Counter({ name: 'chorus_delivery_errors_total', help: 'Deliveries that failed (socket error, backfill failure)', labelNames: ['reason'] as const, registers: [registry] }),
    fanoutLatency: new Histogram({ name: 'chorus_fanout_latency_seconds', help: 'Time from message stored to written to every local subscriber', buckets: latencyBuckets, registers: [registry] }),
    slowConsumerDisconnects: new Counter({ name: 'chorus_slow_consumer_disconnects_total', help: 'Connections closed because their send buffer exceeded the bound', registers: [registry] }),
    backfills: new Counter({ name: 'chorus_backfill_messages_total', help: 'Messages fetched from the store to fill pub/sub gaps or replay since', labelNames: ['reason'] as const, registers: [registry] }),
    // shared
    messagesStored: new Counter({ name: 'chorus_messages_stored_total', help: 'Messages stored', labelNames: ['type', 'source'] as const, registers: [registry] }),
    brokerUp: new Gauge({ name: 'chorus_broker_up', help: '1 when the broker connection is up', registers: [registry] }),
    brokerErrors: new Counter({ name: 'chorus_broker_errors_total', help: 'Broker publish/subscribe failures', registers: [registry] }),
    appendBatchSize: new Histogram({ name: 'chorus_store_append_batch_size', help: 'Messages stored per group-commit statement', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512], registers: [registry] }),
    appendDuration: new Histogram({ name: 'chorus_store_append_duration_seconds', help: 'Time from a submission of sends (a REST send, or the SENDs a STOMP session hands over together) reaching the write path to their messages stored, waiting for a commit slot included', buckets: latencyBuckets, registers: [registry] }),
    appendCommitDuration: new Histogram({ name: 'chorus_store_append_commit_seconds', help: 'Round trip of one group-commit statement to the database', buckets: latencyBuckets, registers: [registry] }),
    storeErrors: new Counter({ name: 'chorus_store_errors_total', help: 'Store operations that failed with a database error', registers: [registry] }),
    // api
    httpRequests: new Histogram({ name: 'chorus_http_request_duration_seconds', help: 'REST request duration', labelNames: ['method', 'route', 'status'] as const, buckets: latencyBuckets, registers: [registry] }),
    // attachments
    attachmentsUploaded: new Counter({ name: 'chorus_attachments_uploaded_total', help: 'Attachments stored', registers: [registry] }),
    attachmentBytes: new Counter({ name: 'chorus_attachments_uploaded_bytes_total', help: 'Bytes of attachments stored', registers: [registry] }),
    attachmentUploadLatency: new Histogram({ name: 'chorus_attachment_upload_duration_seconds', help: 'Time from upload start to attachment stored', buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120], registers: [registry] }),
    objectStoreErrors: new Counter({ name: 'chorus_object_store_errors_total', help: 'Object store operations that failed', labelNames: ['op'] as const, registers: [registry] }),
    // push-worker
    pushSent: new Counter({ name: 'chorus_push_sent_total', help: 'Push notifications handed to FCM', labelNames: ['platform', 'result'] as const, registers: [registry] }),
    pushQueueDepth: new Gauge({ name: 'chorus_push_queue_depth', help: 'Push jobs waiting to be sent', registers: [registry] }),
    pushLatency: new Histogram({ name: 'chorus_push_latency_seconds', help: 'Time from message stored to FCM accepted', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
