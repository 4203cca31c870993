/**
 * The longest delay setTimeout takes as given (2^31 - 1 ms, about 24.8 days). Node fires a longer
 * one after 1 ms, with a TimeoutOverflowWarning: a queue armed like that for a far deadline would
 * wake every millisecond until it, so far deadlines are waited for in steps of at most this.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;
