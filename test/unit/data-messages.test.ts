// The data-channel framing, without a browser: what goes in comes out, and
// what a hostile peer sends is dropped, never thrown.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CHUNK_BYTES,
  encodeMessage,
  MAX_MESSAGE_BYTES,
  MAX_PARTIAL_MESSAGES,
  MessageAssembler,
} from '../../src/room/data-messages.js';

function collect(): { got: unknown[]; errors: string[]; asm: MessageAssembler } {
  const got: unknown[] = [];
  const errors: string[] = [];
  return { got, errors, asm: new MessageAssembler((d) => got.push(d), (e) => errors.push(e)) };
}

describe('data-channel framing', () => {
  it('round-trips strings, JSON values and binary, small and chunked', () => {
    const { got, errors, asm } = collect();
    const big = 'é'.repeat(CHUNK_BYTES * 3);
    const bytes = Uint8Array.from({ length: CHUNK_BYTES * 2 + 7 }, (_, i) => i % 256);
    const inputs: unknown[] = ['hi', { a: [1, 'two', null] }, 42, bytes.buffer, big, new Uint8Array([1, 2, 3])];
    inputs.forEach((d, i) => encodeMessage(d, i).forEach((f) => asm.push(f)));
    assert.deepEqual(errors, []);
    assert.equal(got[0], 'hi');
    assert.deepEqual(got[1], { a: [1, 'two', null] });
    assert.equal(got[2], 42);
    assert.deepEqual(new Uint8Array(got[3] as ArrayBuffer), bytes);
    assert.equal(got[4], big);
    assert.deepEqual(new Uint8Array(got[5] as ArrayBuffer), new Uint8Array([1, 2, 3]));
    assert.ok(encodeMessage(big, 9).length > 1, 'large messages are chunked');
    assert.ok(encodeMessage(big, 9).every((f) => f.byteLength <= CHUNK_BYTES + 14));
  });

  it('reassembles interleaved chunks of two messages', () => {
    const { got, asm } = collect();
    const a = encodeMessage('a'.repeat(CHUNK_BYTES * 2), 1);
    const b = encodeMessage('b'.repeat(CHUNK_BYTES * 2), 2);
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (b[i]) asm.push(b[i]!);
      if (a[i]) asm.push(a[i]!);
    }
    assert.deepEqual(got.map((s) => (s as string)[0]), ['b', 'a']);
  });

  it('drops malformed frames with an error, and keeps working', () => {
    const { got, errors, asm } = collect();
    asm.push(new ArrayBuffer(1)); // too short
    asm.push(new Uint8Array([9, 0, 1]).buffer); // unknown kind
    asm.push(new Uint8Array([1, 0, 123]).buffer); // bad JSON
    const chunk = new Uint8Array(14);
    chunk[1] = 1;
    new DataView(chunk.buffer).setUint32(6, 5); // index 5 of count 0
    asm.push(chunk.buffer);
    const dup = encodeMessage('x'.repeat(CHUNK_BYTES * 2), 7);
    asm.push(dup[0]!);
    asm.push(dup[0]!); // the same chunk twice
    assert.equal(got.length, 0);
    assert.equal(errors.length, 5);
    encodeMessage('still fine', 8).forEach((f) => asm.push(f));
    assert.deepEqual(got, ['still fine']);
  });

  it(`keeps at most ${MAX_PARTIAL_MESSAGES} unfinished messages per peer`, () => {
    const { errors, asm } = collect();
    for (let id = 0; id < MAX_PARTIAL_MESSAGES + 3; id++) asm.push(encodeMessage('y'.repeat(CHUNK_BYTES * 2), id)[0]!);
    assert.equal(errors.length, 3);
  });

  it('refuses to send more than the size limit, and a peer claiming more is dropped', () => {
    assert.throws(() => encodeMessage(new Uint8Array(MAX_MESSAGE_BYTES + 1), 1), RangeError);
    const { errors, asm } = collect();
    const header = new Uint8Array(14);
    header[0] = 2;
    header[1] = 1;
    new DataView(header.buffer).setUint32(10, Math.ceil(MAX_MESSAGE_BYTES / CHUNK_BYTES) + 10);
    asm.push(header.buffer);
    assert.equal(errors.length, 1);
  });

  it('passes plain strings from a sender that does not use this framing', () => {
    const { got, asm } = collect();
    asm.push('plain');
    assert.deepEqual(got, ['plain']);
  });
});
