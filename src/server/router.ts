// Request router: the table from each protocol request to its handler, and the per-connection ordered queue requests run in.
import type { Logger } from 'pino';
import * as v from 'valibot';
import { CLIENT_EVENTS, type Ack, type AckCallback, type ClientEventName, type ClientToServerEvents } from '../protocol.js';
import { fail, type HandlerContext } from './handlers/context.js';
import { custom } from './handlers/custom.js';
import { extraUpdate } from './handlers/extra.js';
import { hostMake, lobbyAdmit, lobbyDeny, memberMute, memberRemove, memberUnmute, roomEnd, roomLock } from './handlers/hosts.js';
import { join, leave, open, openOrJoin, presence } from './handlers/rooms.js';
import { sfuPublish, sfuStart, sfuSubscribe, sfuTrickle, sfuUnpublish } from './handlers/sfu.js';
import { signal } from './handlers/signal.js';
import type { Metrics } from './metrics.js';
import { BusyError } from './rate-limit.js';
import type { Awaitable } from './rooms.js';
import { describeIssues, payloadSchemas, type Payload } from './validation.js';

/** What the ack of request `E` carries on success, as src/protocol.ts declares it. */
export type AckPayload<E extends ClientEventName> = Parameters<ClientToServerEvents[E]>[1] extends AckCallback<infer T> ? T : never;

/** One request's handler: a plain function of the connection's context and the validated payload. May answer synchronously. */
export type Handler<E extends ClientEventName> = (ctx: HandlerContext, payload: Payload<E>) => Awaitable<Ack<AckPayload<E>>>;
export type Handlers = { [E in ClientEventName]: Handler<E> };

/** Every client request, and who answers it. A new request type: add it to src/protocol.ts and validation.ts, then here. */
export const handlers: Handlers = {
  'room:open': open,
  'room:join': join,
  'room:open-or-join': openOrJoin,
  'room:presence': presence,
  'room:leave': leave,
  signal,
  custom,
  'extra:update': extraUpdate,
  'sfu:publish': sfuPublish,
  'sfu:subscribe': sfuSubscribe,
  'sfu:start': sfuStart,
  'sfu:trickle': sfuTrickle,
  'sfu:unpublish': sfuUnpublish,
  'host:make': hostMake,
  'lobby:admit': lobbyAdmit,
  'lobby:deny': lobbyDeny,
  'member:mute': memberMute,
  'member:unmute': memberUnmute,
  'member:remove': memberRemove,
  'room:lock': roomLock,
  'room:end': roomEnd,
};

const clientEvents = new Set<string>(CLIENT_EVENTS);
export const isClientEvent = (event: unknown): event is ClientEventName => typeof event === 'string' && clientEvents.has(event);

export type AnyAck = (response: Ack<object>) => void;

/** A connection's queue: its requests (and its disconnect) run one after another, in arrival order. */
export interface RequestQueue {
  queue: Promise<void>;
  /** Queued and running. */
  pending: number;
}

export function enqueue(q: RequestQueue, log: Logger, task: () => Promise<void>): void {
  q.pending++;
  q.queue = q.queue
    .then(task)
    .catch((err: unknown) => log.error({ err }, 'request failed'))
    .finally(() => {
      q.pending--;
    });
}

/** Validates one request, runs its handler and acks the outcome; never throws. */
export async function route(
  ctx: HandlerContext,
  event: ClientEventName,
  payload: unknown,
  ack: AnyAck,
  log: Logger,
  metrics: Pick<Metrics, 'rejected'>,
): Promise<void> {
  // A leave sent just before the socket closed (pagehide) still counts as a leave,
  // so peers hear 'leave' rather than 'disconnect'; anything else is moot once gone.
  if (!ctx.session.connected && event !== 'room:leave') return;
  let result: Ack<object>;
  try {
    if (!isPlainObject(payload)) {
      result = fail('invalid-request', `${event}: the payload must be an object`);
    } else {
      const parsed = v.safeParse(payloadSchemas[event], payload);
      result = parsed.success
        ? await (handlers[event] as Handler<ClientEventName>)(ctx, parsed.output as never)
        : fail('invalid-request', `${event}: ${describeIssues(parsed.issues)}`);
    }
  } catch (err) {
    if (err instanceof BusyError) {
      result = fail('rate-limited', 'the server is busy checking passwords; try again shortly');
    } else {
      log.error({ err, event }, 'handler failed');
      result = fail('internal-error', 'internal error');
    }
  }
  if (!result.ok) metrics.rejected.inc({ reason: result.error.code });
  log.debug({ event, ok: result.ok, code: result.ok ? undefined : result.error.code }, 'request');
  try {
    ack(result);
  } catch (err) {
    log.error({ err, event }, 'ack failed');
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}
