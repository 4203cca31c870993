/**
 * Type utilities for typed event maps, with the same names and shapes as socket.io's
 * `typed-events.ts`, so application code typed against socket.io typechecks against parley.
 */

/** A map of event names to listener signatures. */
export interface EventsMap {
  // biome-ignore lint/suspicious/noExplicitAny: listener maps must accept any signature, as in socket.io.
  [event: string]: any;
}

/** The map used when none is given: every event takes any arguments (socket.io's default). */
export interface DefaultEventsMap {
  // biome-ignore lint/suspicious/noExplicitAny: untyped applications keep socket.io's `any` arguments.
  [event: string]: (...args: any[]) => void;
}

/** Names of the events of a map. */
export type EventNames<Map extends EventsMap> = keyof Map & (string | symbol);

/** The arguments of one event of a map. */
export type EventParams<Map extends EventsMap, Ev extends EventNames<Map>> = Parameters<Map[Ev]>;

/** The listener of one event of a map. */
export type EventListener<Map extends EventsMap, Ev extends EventNames<Map>> = Map[Ev];

/** Every element of a tuple but the last. */
export type AllButLast<T extends unknown[]> = T extends [...infer Head, unknown] ? Head : unknown[];

/** The last element of a tuple. */
export type Last<T extends unknown[]> = T extends [...unknown[], infer L] ? L : unknown;

/** The first argument of a function type. */
export type FirstArg<T> = T extends (arg: infer A, ...rest: unknown[]) => unknown ? A : unknown;

/** The first argument of the last argument (the ack callback) of an event. */
export type AckResult<Map extends EventsMap, Ev extends EventNames<Map>> = FirstArg<
  Last<EventParams<Map, Ev>>
>;

/** An ack callback, once a timeout is set, receives an error first. */
export type DecorateAcknowledgements<Map extends EventsMap> = {
  [Ev in keyof Map]: Map[Ev] extends (...args: infer Params) => infer Result
    ? (...args: PrependErrorToAck<Params>) => Result
    : Map[Ev];
};

/** For a broadcast with a timeout, an ack callback receives an error and every recipient's answer. */
export type DecorateAcknowledgementsWithMultipleResponses<Map extends EventsMap> = {
  [Ev in keyof Map]: Map[Ev] extends (...args: infer Params) => infer Result
    ? (...args: PrependErrorToAckWithArray<Params>) => Result
    : Map[Ev];
};

type PrependErrorToAck<Params extends unknown[]> = Params extends [...infer Head, infer Ack]
  ? Ack extends (...args: infer AckArgs) => infer AckResult
    ? [...Head, (err: Error | null, ...args: AckArgs) => AckResult]
    : Params
  : Params;

type PrependErrorToAckWithArray<Params extends unknown[]> = Params extends [...infer Head, infer Ack]
  ? Ack extends (arg: infer AckArg, ...rest: unknown[]) => infer AckResult
    ? [...Head, (err: Error | null, responses: AckArg[]) => AckResult]
    : Params
  : Params;
