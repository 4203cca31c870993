/**
 * Who is in each room, told as deltas. A client that joins gets the member list once (a snapshot);
 * everyone in the room then hears of arrivals and departures as `{room, joined, left, count}`,
 * coalesced per room over a short window, so a crowd arriving together costs a few events rather
 * than one full list per arrival to every member (which grows with the cube of the crowd).
 *
 * Coalescing keeps, for each member touched in the window, only its final state: a member who
 * joined and left within one window is reported in `left`, not dropped, because a snapshot taken
 * between the two may list it. Clients apply deltas as set operations by id, so hearing of their
 * own arrival, or of a departure they never saw, is harmless.
 *
 * Lists are bounded: snapshots and deltas name the first `listLimit` members by arrival (the
 * listed ones) and count the rest, so a client following them holds exactly the listed members,
 * and a crowd of N arriving costs O(N × listLimit) bytes instead of O(N²).
 */

/** A member as clients see it. */
export interface Member {
  readonly id: string;
  readonly name: string;
}

/** The full list, sent once to a client that joins (and for the lobby on connect). */
export interface PresenceSnapshot {
  readonly room: string;
  /** In order of arrival, at most the display limit; `count` says how many there are in all. */
  readonly members: Member[];
  readonly count: number;
}

/** What changed in a room over one window. */
export interface PresenceDelta {
  readonly room: string;
  readonly joined: Member[];
  readonly left: Member[];
  /** Members in the room after the change. */
  readonly count: number;
}

export interface PresenceOptions {
  /** How long changes in a room are gathered before one delta goes out. */
  readonly windowMs: number;
  /** Most members a snapshot lists; the rest are only counted. */
  readonly listLimit: number;
  /** Sends a delta to everyone in its room. */
  readonly announce: (delta: PresenceDelta) => void;
}

/** What changed in one room since its last delta. */
interface PendingRoom {
  /** The listed members when the window opened. */
  readonly before: Set<string>;
  /** Members who joined or left in the window, with their names. */
  readonly touched: Map<string, string>;
  /** Touched members that were listed at some moment of the window (a snapshot may show them). */
  readonly everListed: Set<string>;
}

export class Presence {
  /** Members of each room, in order of arrival (a Map keeps insertion order). */
  private readonly rooms = new Map<string, Map<string, string>>();
  private readonly pending = new Map<string, PendingRoom>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: PresenceOptions) {}

  /** Adds `member` to `room`. Returns false when it was already there (nothing to announce). */
  join(room: string, member: Member): boolean {
    let members = this.rooms.get(room);
    if (members === undefined) {
      members = new Map();
      this.rooms.set(room, members);
    }
    if (members.has(member.id)) return false;
    const changes = this.opened(room, members);
    members.set(member.id, member.name);
    changes.touched.set(member.id, member.name);
    // A newcomer goes to the end of the list: it is listed only while the room is within the limit.
    if (members.size <= this.options.listLimit) changes.everListed.add(member.id);
    return true;
  }

  /** Removes `member` from `room`. Returns false when it was not there. */
  leave(room: string, member: Member): boolean {
    const members = this.rooms.get(room);
    if (members === undefined || !members.has(member.id)) return false;
    const changes = this.opened(room, members);
    members.delete(member.id);
    if (members.size === 0) this.rooms.delete(room);
    changes.touched.set(member.id, member.name);
    return true;
  }

  /** The members of `room` now, as a joining client receives them. */
  snapshot(room: string): PresenceSnapshot {
    const members = this.rooms.get(room);
    const listed: Member[] = [];
    if (members !== undefined) {
      for (const [id, name] of members) {
        if (listed.length >= this.options.listLimit) break;
        listed.push({ id, name });
      }
    }
    return { room, members: listed, count: members?.size ?? 0 };
  }

  /** How many members `room` has. */
  count(room: string): number {
    return this.rooms.get(room)?.size ?? 0;
  }

  /** Sends every pending delta now. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const pending = [...this.pending];
    this.pending.clear();
    for (const [room, changes] of pending) this.options.announce(this.delta(room, changes));
  }

  /** Drops pending deltas and stops the timer (the service is detached). */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  /**
   * The change of the listed members (the first `listLimit` by arrival) over a window. Members
   * leave the list only by leaving the room (arrivals go to its end), and enter it by arriving
   * while there is room, or by moving up when a listed member leaves.
   */
  private delta(room: string, changes: PendingRoom): PresenceDelta {
    const listed = this.listed(room);
    const joined: Member[] = [];
    for (const [id, name] of listed) {
      if (!changes.before.has(id) || changes.touched.has(id)) joined.push({ id, name });
    }
    const left: Member[] = [];
    for (const [id, name] of changes.touched) {
      if (listed.has(id)) continue;
      if (changes.before.has(id) || changes.everListed.has(id)) left.push({ id, name });
    }
    return { room, joined, left, count: this.count(room) };
  }

  private listed(room: string): Map<string, string> {
    const listed = new Map<string, string>();
    const members = this.rooms.get(room);
    if (members === undefined) return listed;
    for (const [id, name] of members) {
      if (listed.size >= this.options.listLimit) break;
      listed.set(id, name);
    }
    return listed;
  }

  /** The room's pending changes, opening its window (and the shared timer) on the first change. */
  private opened(room: string, members: Map<string, string>): PendingRoom {
    let changes = this.pending.get(room);
    if (changes === undefined) {
      const before = new Set<string>();
      for (const id of members.keys()) {
        if (before.size >= this.options.listLimit) break;
        before.add(id);
      }
      changes = { before, touched: new Map(), everListed: new Set() };
      this.pending.set(room, changes);
    }
    // One timer for every room: deltas of rooms touched in the same window go out together.
    if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), this.options.windowMs);
      this.timer.unref();
    }
    return changes;
  }
}
