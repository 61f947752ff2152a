// JSON checks on client data: plain JSON only (no reserved keys, bounded depth) and its byte size.
import { FORBIDDEN_KEYS, MAX_JSON_DEPTH, type JsonValue } from '../protocol.js';

const forbidden = new Set<string>(FORBIDDEN_KEYS);

/**
 * True for plain JSON data: null, booleans, finite numbers, strings, arrays
 * and plain objects, nested at most `maxDepth` deep, with no key that could
 * pollute a prototype when a client merges it into an object. socket.io's
 * parser already produces JSON, but binary attachments arrive as Buffers.
 */
export function isJsonValue(value: unknown, maxDepth = MAX_JSON_DEPTH): value is JsonValue {
  return check(value, maxDepth);
}

function check(value: unknown, depth: number): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      break;
    default:
      return false;
  }
  if (depth <= 0) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (!check(item, depth - 1)) return false;
    return true;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  // Own keys only: JSON.parse defines "__proto__" as an own property.
  for (const key of Object.keys(value)) {
    if (forbidden.has(key)) return false;
    if (!check((value as Record<string, unknown>)[key], depth - 1)) return false;
  }
  return true;
}

/** UTF-8 size of the value's JSON text (the value must be JSON, see isJsonValue). */
export function jsonByteLength(value: JsonValue): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}
