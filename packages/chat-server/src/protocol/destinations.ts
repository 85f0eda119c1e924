// The destinations are shared with the web client, so they live in @chorus/protocol.
export * from '@chorus/protocol';
