// Where the data plane leaves what an answer's load headers said, for one (model,
// region): a few numbers, overwritten by each answer, made once at start-up. The hot
// path writes here and nowhere else; the store takes the newest reading when plans are
// rebuilt (in-band-load.ts).
export class InBandSlot {
  /** When the newest readable answer arrived (ms since epoch); 0 before the first. */
  atMs = 0;
  /** Fraction of the region's capacity in use by that answer, in [0, 1]. */
  utilisation = 0;
  /** A rate limit's limit from that answer (a capacity in requests or tokens); 0 when it gave none. */
  capacity = 0;
  /** Answers whose load headers were read, and those whose load headers could not be. */
  read = 0;
  unreadable = 0;
  /** The last reading handed to the store, and the counts already in the metrics. */
  collectedAtMs = 0;
  countedRead = 0;
  countedUnreadable = 0;

  constructor(
    readonly model: string,
    readonly region: string,
  ) {}
}
