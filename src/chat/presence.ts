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

export class Presence {
  /** Members of each room, in order of arrival (a Map keeps insertion order). */
  private readonly rooms = new Map<string, Map<string, string>>();
  /** Per room, the members touched since its last delta: their name and whether they are in now. */
  private readonly pending = new Map<string, Map<string, { name: string; present: boolean }>>();
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
    members.set(member.id, member.name);
    this.touch(room, member, true);
    return true;
  }

  /** Removes `member` from `room`. Returns false when it was not there. */
  leave(room: string, member: Member): boolean {
    const members = this.rooms.get(room);
    if (members === undefined || !members.delete(member.id)) return false;
    if (members.size === 0) this.rooms.delete(room);
    this.touch(room, member, false);
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
    for (const [room, changes] of pending) {
      const joined: Member[] = [];
      const left: Member[] = [];
      for (const [id, { name, present }] of changes) (present ? joined : left).push({ id, name });
      this.options.announce({ room, joined, left, count: this.count(room) });
    }
  }

  /** Drops pending deltas and stops the timer (the service is detached). */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  private touch(room: string, member: Member, present: boolean): void {
    let changes = this.pending.get(room);
    if (changes === undefined) {
      changes = new Map();
      this.pending.set(room, changes);
    }
    changes.set(member.id, { name: member.name, present });
    // One timer for every room: deltas of rooms touched in the same window go out together.
    if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), this.options.windowMs);
      this.timer.unref();
    }
  }
}
