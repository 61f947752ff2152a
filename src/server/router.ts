// Request router: the table from each protocol request to its handler, and the per-connection ordered queue requests run in.
import type { Logger } from 'pino';
import * as v from 'valibot';
import { CLIENT_EVENTS, type Ack, type AckCallback, type ClientEventName, type ClientToServerEvents } from '../protocol.js';
import { fail, type HandlerContext } from './handlers/context.js';
import { custom } from './handlers/custom.js';
import { extraUpdate } from './handlers/extra.js';
import { hostMake, lobbyAdmit, lobbyDeny, memberMute, memberRemove, memberUnmute, roomEnd, roomLock } from './handlers/hosts.js';
import { join, leave, open, openOrJoin, presence } from './handlers/rooms.js';
import { sfuLayer, sfuPublish, sfuStart, sfuSubscribe, sfuTrickle, sfuUnpublish } from './handlers/sfu.js';
import { signal } from './handlers/signal.js';
import type { Metrics } from './metrics.js';
import { BusyError } from './rate-limit.js';
import type { Awaitable } from './rooms.js';
import { describeIssues, fastSignal, payloadSchemas, type Payload } from './validation.js';

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
  'sfu:layer': sfuLayer,
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

/**
 * A connection's logger, made on first use: a relayed message never asks for
 * it unless a line is written (a pino child per connection costs memory, and
 * a thousand of them make every logger call site megamorphic).
 */
export interface RequestLog {
  readonly log: Logger;
  /** Request lines are written (debug level): asked without making the logger. */
  readonly debugging: boolean;
}

/** A connection's queue: its requests (and its disconnect) run one after another, in arrival order. */
export interface RequestQueue {
  queue: Promise<void>;
  /** Queued and running. */
  pending: number;
}

/**
 * Runs `task` after the connection's earlier requests. With nothing queued it
 * runs at once, and a task that finishes synchronously (a signal with the
 * memory store) never touches the queue: no promise is created for it.
 */
export function enqueue(q: RequestQueue & RequestLog, task: () => Awaitable<void>): void {
  if (q.pending === 0) {
    let result: Awaitable<void>;
    try {
      result = task();
    } catch (err) {
      q.log.error({ err }, 'request failed');
      return;
    }
    if (!(result instanceof Promise)) return;
    track(q, result);
    return;
  }
  track(q, q.queue.then(task));
}

/**
 * `route()` after the connection's earlier requests: `enqueue` without the
 * task closure when nothing is queued, the case of nearly every signal.
 */
export function routeInOrder(q: RequestQueue & RequestLog, ctx: HandlerContext, event: ClientEventName, payload: unknown, ack: AnyAck, metrics: Pick<Metrics, 'rejected'>): void {
  if (q.pending === 0) {
    // route() never throws (a handler's throw becomes its ack).
    const result = route(ctx, event, payload, ack, q, metrics);
    if (result instanceof Promise) track(q, result);
    return;
  }
  track(q, q.queue.then(() => route(ctx, event, payload, ack, q, metrics)));
}

function track(q: RequestQueue & RequestLog, running: Promise<void>): void {
  q.pending++;
  q.queue = running
    .catch((err: unknown) => q.log.error({ err }, 'request failed'))
    .finally(() => {
      q.pending--;
    });
}

/** Validates one request, runs its handler and acks the outcome; never throws. Synchronous when the handler is. */
export function route(
  ctx: HandlerContext,
  event: ClientEventName,
  payload: unknown,
  ack: AnyAck,
  log: RequestLog,
  metrics: Pick<Metrics, 'rejected'>,
): Awaitable<void> {
  // A leave sent just before the socket closed (pagehide) still counts as a leave,
  // so peers hear 'leave' rather than 'disconnect'; anything else is moot once gone.
  if (!ctx.session.connected && event !== 'room:leave') return;
  let outcome: Awaitable<Ack<object>>;
  try {
    if (!isPlainObject(payload)) {
      outcome = fail('invalid-request', `${event}: the payload must be an object`);
    } else {
      // The common signals skip the schema (same verdict, see fastSignal); the rest, and every mistake, go through it.
      const fast = event === 'signal' ? fastSignal(payload) : undefined;
      if (fast) outcome = handlers.signal(ctx, fast);
      else {
        const parsed = v.safeParse(payloadSchemas[event], payload);
        outcome = parsed.success
          ? (handlers[event] as Handler<ClientEventName>)(ctx, parsed.output as never)
          : fail('invalid-request', `${event}: ${describeIssues(parsed.issues)}`);
      }
    }
  } catch (err) {
    outcome = failure(err, event, log);
  }
  if (!(outcome instanceof Promise)) return answer(outcome, event, ack, log, metrics);
  return answerLater(outcome, event, ack, log, metrics);
}

/** Apart from route(): its closures would be allocated on every call, the synchronous ones too. */
function answerLater(outcome: Promise<Ack<object>>, event: ClientEventName, ack: AnyAck, log: RequestLog, metrics: Pick<Metrics, 'rejected'>): Promise<void> {
  return outcome.then(
    (result) => answer(result, event, ack, log, metrics),
    (err: unknown) => answer(failure(err, event, log), event, ack, log, metrics),
  );
}

/** A handler's throw, as the ack the client gets. */
function failure(err: unknown, event: ClientEventName, log: RequestLog): Ack<object> {
  if (err instanceof BusyError) return fail('rate-limited', 'the server is busy checking passwords; try again shortly');
  log.log.error({ err, event }, 'handler failed');
  return fail('internal-error', 'internal error');
}

function answer(result: Ack<object>, event: ClientEventName, ack: AnyAck, log: RequestLog, metrics: Pick<Metrics, 'rejected'>): void {
  if (!result.ok) metrics.rejected.inc({ reason: result.error.code });
  if (log.debugging) log.log.debug({ event, ok: result.ok, code: result.ok ? undefined : result.error.code }, 'request');
  try {
    ack(result);
  } catch (err) {
    log.log.error({ err, event }, 'ack failed');
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}
