/** socket.io's parser, stricter on the way in: binary packets and ACKs are refused before anything is buffered. */
import { Decoder, Encoder } from 'socket.io-parser';

/**
 * Our protocol has no binary messages and the server never asks a client for
 * an ACK, so a packet of type ACK (3), BINARY_EVENT (5) or BINARY_ACK (6), or
 * any binary frame, is refused here, before socket.io would wait for and hold
 * its attachments. socket.io answers a throwing decoder by closing the
 * connection. (The connection guard refuses them a step earlier and counts
 * why; this keeps the decoder safe on its own.)
 */
export class StrictDecoder extends Decoder {
  override add(obj: unknown): void {
    if (typeof obj !== 'string') throw new Error('binary packets are not part of this protocol');
    const type = obj[0];
    if (type === '3' || type === '5' || type === '6') throw new Error(`socket.io packet type ${type} is not accepted from clients`);
    super.add(obj);
  }
}

/** The `parser` option for socket.io's Server. */
export const strictParser = { Encoder, Decoder: StrictDecoder };
