import type { Logger } from 'pino'

/**
 * A part of the service with a lifecycle: the store, the writer, the broker, the alert engine,
 * live push, the notifier, the HTTP server. Built from an options object (nothing runs in a
 * constructor that needs undoing beyond what `stop` undoes), started once, stopped once.
 */
export interface Part {
  readonly name: string
  start?(): void | Promise<void>
  stop(): void | Promise<void>
}

/**
 * Starts parts in the order they were added and stops them in reverse, on every path: a part
 * that fails to start stops every part already started (and every part that needs no start, such
 * as an opened database), so a failed start-up leaks nothing and `stop()` is the one way down.
 */
export class Lifecycle {
  private readonly parts: Part[] = []
  /** parts that hold resources now: started ones, and those that need no start from the moment they are added */
  private readonly running = new Set<Part>()
  private stopping: Promise<void> | undefined

  constructor(private readonly log: Logger) {}

  add<P extends Part>(part: P): P {
    this.parts.push(part)
    if (!part.start) this.running.add(part)
    return part
  }

  async start(): Promise<void> {
    for (const part of this.parts) {
      if (this.running.has(part)) continue
      try {
        await part.start?.()
      } catch (err) {
        this.log.debug({ part: part.name, err }, 'part failed to start; stopping the others')
        await this.stop()
        throw err
      }
      this.running.add(part)
    }
  }

  /** Stops every running part, newest first; one that fails to stop does not keep the others up. */
  stop(): Promise<void> {
    return (this.stopping ??= (async () => {
      for (const part of [...this.parts].reverse()) {
        if (!this.running.delete(part)) continue
        try {
          await part.stop()
        } catch (err) {
          this.log.error({ part: part.name, err }, 'part failed to stop')
        }
      }
    })())
  }
}
