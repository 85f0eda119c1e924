/** Close codes Chorus uses (RFC 6455 and the 4000–4999 private range). */
export const CloseCodes = {
  normal: 1000,
  protocolError: 1002,
  policyViolation: 1008,
  tooBig: 1009,
  serviceRestart: 1012,
  tryAgainLater: 1013,
  /** The client did not read fast enough; its send buffer passed SEND_BUFFER_BYTES. */
  slowConsumer: 4008,
  /** No heart-beat from the client within the negotiated window. */
  heartbeatTimeout: 4009,
} as const;
