/** Framing for `send()` over RTCDataChannel: strings, JSON and binary, chunked to fit SCTP messages. */
// A message of any size up to MAX_MESSAGE_BYTES fits SCTP's per-message
// limit. Every frame is binary:
//
//   [0] kind: 0 = string, 1 = JSON, 2 = ArrayBuffer
//   [1] flags: 0 = whole message follows; 1 = chunk
//   chunk only: [2..5] message id, [6..9] chunk index, [10..13] chunk count (uint32, big-endian)
//   then the payload (UTF-8 for string/JSON)
// peer.ts loads this module on a connection's first message sent or received (a chunk of its own in the CDN bundle).
import { KIND_BINARY, KIND_JSON, KIND_STRING, MAX_MESSAGE_BYTES, messageBytes, type DataPayload, type MessageBytes } from './data-payload.js';

export { MAX_MESSAGE_BYTES, type DataPayload };

/** Largest frame payload; 16 KiB is safe across browsers' SCTP implementations. */
export const CHUNK_BYTES = 16 * 1024;
/** Chunked messages one peer may have half-sent at once; the oldest is dropped beyond it. */
export const MAX_PARTIAL_MESSAGES = 8;

const WHOLE_HEADER = 2;
const CHUNK_HEADER = 14;

const decoder = new TextDecoder();

/** Splits one message into frames ready for `channel.send()`. */
export function encodeMessage(data: DataPayload, messageId: number): ArrayBuffer[] {
  return frames(messageBytes(data), messageId);
}

/** A data channel waits when this much is queued, until it drains below a quarter. */
const HIGH_WATER = 4 * 1024 * 1024;

/**
 * Sends the queued messages over `channel`, in order, frame by frame, waiting
 * while the channel holds more than HIGH_WATER; stops when it closes or when
 * `stop()` says so (what is left stays queued).
 */
export async function pump(channel: RTCDataChannel, outbox: MessageBytes[], nextId: () => number, stop: () => boolean): Promise<void> {
  channel.bufferedAmountLowThreshold = HIGH_WATER / 4;
  while (channel.readyState === 'open' && outbox.length && !stop()) {
    for (const frame of frames(outbox.shift()!, nextId())) {
      if (channel.bufferedAmount > HIGH_WATER) {
        await new Promise<void>((resolve) => {
          const done = () => {
            channel.removeEventListener('bufferedamountlow', done);
            channel.removeEventListener('close', done);
            resolve();
          };
          channel.addEventListener('bufferedamountlow', done);
          channel.addEventListener('close', done);
        });
        if (channel.readyState !== 'open') return;
      }
      channel.send(frame);
    }
  }
}

/** The frames of one message's bytes. */
export function frames({ kind, bytes }: MessageBytes, messageId: number): ArrayBuffer[] {
  if (bytes.byteLength <= CHUNK_BYTES) {
    const frame = new Uint8Array(WHOLE_HEADER + bytes.byteLength);
    frame[0] = kind;
    frame[1] = 0;
    frame.set(bytes, WHOLE_HEADER);
    return [frame.buffer];
  }
  const count = Math.ceil(bytes.byteLength / CHUNK_BYTES);
  const out: ArrayBuffer[] = [];
  for (let i = 0; i < count; i++) {
    const part = bytes.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES);
    const frame = new Uint8Array(CHUNK_HEADER + part.byteLength);
    const view = new DataView(frame.buffer);
    frame[0] = kind;
    frame[1] = 1;
    view.setUint32(2, messageId >>> 0);
    view.setUint32(6, i);
    view.setUint32(10, count);
    frame.set(part, CHUNK_HEADER);
    out.push(frame.buffer);
  }
  return out;
}

function decodePayload(kind: number, bytes: Uint8Array): unknown {
  if (kind === KIND_STRING) return decoder.decode(bytes);
  if (kind === KIND_JSON) return JSON.parse(decoder.decode(bytes)) as unknown;
  if (kind === KIND_BINARY) return bytes.slice().buffer;
  throw new TypeError(`unknown frame kind ${kind}`);
}

interface Partial {
  kind: number;
  parts: Uint8Array[];
  received: number;
  bytes: number;
}

/** Reassembles frames from one peer; malformed frames are dropped (reported through `onError`). */
export class MessageAssembler {
  private readonly partials = new Map<number, Partial>();

  constructor(
    private readonly onMessage: (data: unknown) => void,
    private readonly onError: (reason: string) => void = () => {},
  ) {}

  push(frame: ArrayBuffer | string): void {
    try {
      // A plain string from a foreign sender (not our framing) is delivered as is.
      if (typeof frame === 'string') {
        this.onMessage(frame);
        return;
      }
      const bytes = new Uint8Array(frame);
      if (bytes.byteLength < WHOLE_HEADER) throw new RangeError('short frame');
      const kind = bytes[0]!;
      if (bytes[1] === 0) {
        this.onMessage(decodePayload(kind, bytes.subarray(WHOLE_HEADER)));
        return;
      }
      if (bytes.byteLength < CHUNK_HEADER) throw new RangeError('short chunk');
      const view = new DataView(frame);
      const id = view.getUint32(2);
      const index = view.getUint32(6);
      const count = view.getUint32(10);
      if (count < 2 || index >= count || count > Math.ceil(MAX_MESSAGE_BYTES / CHUNK_BYTES)) {
        throw new RangeError('bad chunk header');
      }
      let p = this.partials.get(id);
      if (!p) {
        if (this.partials.size >= MAX_PARTIAL_MESSAGES) {
          // Map order is insertion order: the first key is the oldest unfinished message.
          this.partials.delete(this.partials.keys().next().value!);
          this.onError('too many unfinished messages; dropped the oldest');
        }
        p = { kind, parts: new Array<Uint8Array>(count), received: 0, bytes: 0 };
        this.partials.set(id, p);
      }
      if (p.parts.length !== count || p.parts[index]) throw new RangeError('inconsistent chunk');
      const part = bytes.slice(CHUNK_HEADER);
      p.parts[index] = part;
      p.received += 1;
      p.bytes += part.byteLength;
      if (p.bytes > MAX_MESSAGE_BYTES) {
        this.partials.delete(id);
        throw new RangeError('message too large');
      }
      if (p.received < count) return;
      this.partials.delete(id);
      const whole = new Uint8Array(p.bytes);
      let offset = 0;
      for (const part of p.parts) {
        whole.set(part, offset);
        offset += part.byteLength;
      }
      this.onMessage(decodePayload(p.kind, whole));
    } catch (err) {
      this.onError(err instanceof Error ? err.message : String(err));
    }
  }

  clear(): void {
    this.partials.clear();
  }
}
