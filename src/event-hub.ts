// A typed publish/subscribe hub: the one way parts of the service are wired to each other's events
// (src/app/events.ts names the events).

type Listener<A extends unknown[]> = (...args: A) => void

/** A typed event hub: `on` returns the function that unsubscribes. */
export class EventHub<M extends { [K in keyof M]: unknown[] }> {
  private readonly listeners: { [K in keyof M]?: Listener<M[K]>[] } = {}

  on<K extends keyof M>(event: K, listener: Listener<M[K]>): () => void {
    const list = (this.listeners[event] ??= [])
    list.push(listener)
    return () => {
      const i = list.indexOf(listener)
      if (i >= 0) list.splice(i, 1)
    }
  }

  emit<K extends keyof M>(event: K, ...args: M[K]): void {
    const list = this.listeners[event]
    if (list) for (const l of list) l(...args)
  }

  has<K extends keyof M>(event: K): boolean {
    return (this.listeners[event]?.length ?? 0) > 0
  }
}
