// Where stored objects live, as far as this router knows: object id -> region (and the
// deployment whose request made it, when known). Filled from the answers the router
// relays and from asking the regions; bounded, least recently used first out. Nothing
// here is shared with other router instances, and nothing needs to be: an entry is a
// fact about the fleet (an id never moves), so a miss costs one round of asking, never
// a wrong answer.

export interface Home {
  readonly region: string;
  /** The deployment whose request made (or found) the object; null when unknown. */
  readonly deployment: string | null;
}

export class HomeCache {
  private readonly map = new Map<string, Home>();
  /** Lookups that found an entry, and those that did not (for /capacity's hit rate). */
  hits = 0;
  misses = 0;

  constructor(private capacity: number) {}

  get size(): number {
    return this.map.size;
  }

  get limit(): number {
    return this.capacity;
  }

  /** A reload: a smaller cache drops its oldest entries at once. */
  resize(capacity: number): void {
    this.capacity = capacity;
    this.trim();
  }

  /** The home of `id`, counted as a hit or a miss; a hit becomes the most recent entry. */
  lookup(id: string): Home | undefined {
    const home = this.map.get(id);
    if (home === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.map.delete(id);
    this.map.set(id, home);
    return home;
  }

  /** Looks without counting or reordering (tests, and the first of several candidates). */
  peek(id: string): Home | undefined {
    return this.map.get(id);
  }

  remember(id: string, home: Home): void {
    this.map.delete(id);
    this.map.set(id, home);
    this.trim();
  }

  private trim(): void {
    while (this.map.size > this.capacity) {
      const oldest = this.map.keys().next();
      if (oldest.done === true) return;
      this.map.delete(oldest.value);
    }
  }
}
