// A value that screens subscribe to; `useValue` re-renders a component when it changes.
import { useEffect, useState } from "preact/hooks";

export class Value<T> {
  private listeners = new Set<(value: T) => void>();
  constructor(private current: T) {}

  get(): T {
    return this.current;
  }

  set(next: T): void {
    this.current = next;
    for (const listener of this.listeners) listener(next);
  }

  subscribe(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export function useValue<T>(value: Value<T>): T {
  const [, setTick] = useState(0);
  useEffect(() => value.subscribe(() => setTick((n) => n + 1)), [value]);
  return value.get();
}
