/**
 * Opens of one (station, rule, subject) within this window are counted to tell a flapping
 * alert from one that merely comes back. Ten minutes: longer than any honest rhythm of a
 * subject going and coming back (a door held and released, an item taken and put back
 * during a check), short enough that a subject that settles is judged afresh within a shift.
 */
export const FLAP_WINDOW_MS = 10 * 60_000

/**
 * The open within FLAP_WINDOW_MS that makes an alert flapping: the first open and three
 * re-opens. Three honest re-opens in ten minutes are already rare, and each costs an
 * opened and a resolved change; from the fourth open on the alert stays open instead.
 */
export const FLAP_OPENS = 4

/**
 * A flapping alert resolves itself once its condition has stayed clear this long: as long as
 * the window, so that when it resolves no open of the window is left and the subject starts
 * afresh, and so that a subject that keeps toggling never resolves (it writes no change at all).
 */
export const FLAP_QUIET_MS = FLAP_WINDOW_MS

/**
 * Per (station, rule, subject), when its alerts opened recently and, for a flapping alert,
 * since when its condition has been clear. Alerts only open on configured subjects, so the
 * keys are bounded by the configuration; each keeps at most FLAP_OPENS times, and keys whose
 * opens have all left the window are forgotten as the next open is counted.
 */
export class FlapDamping {
  private readonly opens = new Map<string, number[]>()
  private readonly clearSince = new Map<string, number>()
  private sweepAt = 0

  /** Counts an open at `now`; true when it is the one that makes the alert flapping. */
  opened(key: string, now: number): boolean {
    this.sweep(now)
    const from = now - FLAP_WINDOW_MS
    const times = (this.opens.get(key) ?? []).filter((t) => t > from)
    times.push(now)
    // Only the last FLAP_OPENS opens can decide anything.
    if (times.length > FLAP_OPENS) times.splice(0, times.length - FLAP_OPENS)
    this.opens.set(key, times)
    this.clearSince.delete(key)
    return times.length >= FLAP_OPENS
  }

  /** The condition holds (again): the quiet period starts over. */
  firing(key: string): void {
    // On the hot path of every due condition: most of the time nothing is flapping.
    if (this.clearSince.size) this.clearSince.delete(key)
  }

  /** The condition is clear at `now`: when the flapping alert may resolve. */
  clear(key: string, now: number): number {
    let since = this.clearSince.get(key)
    if (since === undefined) this.clearSince.set(key, (since = now))
    return since + FLAP_QUIET_MS
  }

  /** The alert is resolved (by the quiet period or by a responder): nothing to time any more. */
  closed(key: string): void {
    this.clearSince.delete(key)
  }

  /** How many keys are tracked (for tests of the bound). */
  get size(): number {
    return this.opens.size
  }

  /** At most once a window, forgets keys whose every open has left it. */
  private sweep(now: number): void {
    if (now < this.sweepAt) return
    this.sweepAt = now + FLAP_WINDOW_MS
    const from = now - FLAP_WINDOW_MS
    for (const [key, times] of this.opens) if (times[times.length - 1]! <= from) this.opens.delete(key)
  }
}
