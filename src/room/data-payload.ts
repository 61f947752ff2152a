// What `send()` accepts, checked and turned into bytes at the call (so a bad value throws there). The framing
// that carries the bytes over the data channel (data-messages.ts) is loaded on the first message sent or received.

/** Largest message a receiver reassembles (a cap against memory abuse by a peer). */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export const KIND_STRING = 0;
export const KIND_JSON = 1;
export const KIND_BINARY = 2;

export type DataPayload = string | ArrayBuffer | ArrayBufferView | unknown;

/** One message as bytes, with its kind (string, JSON or binary). */
export interface MessageBytes {
  kind: number;
  bytes: Uint8Array;
}

const encoder = new TextEncoder();

/** The bytes of one message; throws for a value JSON cannot carry or a message over MAX_MESSAGE_BYTES. */
export function messageBytes(data: DataPayload): MessageBytes {
  let m: MessageBytes;
  if (typeof data === 'string') m = { kind: KIND_STRING, bytes: encoder.encode(data) };
  else if (data instanceof ArrayBuffer) m = { kind: KIND_BINARY, bytes: new Uint8Array(data) };
  else if (ArrayBuffer.isView(data)) m = { kind: KIND_BINARY, bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  else {
    const json = JSON.stringify(data);
    if (json === undefined) throw new TypeError('send(): the value cannot be serialized to JSON.');
    m = { kind: KIND_JSON, bytes: encoder.encode(json) };
  }
  if (m.bytes.byteLength > MAX_MESSAGE_BYTES) {
    throw new RangeError(`send(): message of ${m.bytes.byteLength} bytes exceeds the ${MAX_MESSAGE_BYTES}-byte limit.`);
  }
  return m;
}
