/**
 * Explicit resource management for objects that must be freed by hand (OpenCV Mats and vectors,
 * native handles). Use with `using scope = new DisposeScope()` and `scope.track(mat)`.
 */
export interface Deletable {
  delete(): void;
}

export class DisposeScope implements Disposable {
  private readonly items: Deletable[] = [];
  private disposed = false;

  track<T extends Deletable>(item: T): T {
    if (this.disposed) throw new Error('DisposeScope already disposed');
    this.items.push(item);
    return item;
  }

  [Symbol.dispose](): void {
    if (this.disposed) return;
    this.disposed = true;
    // Free in reverse order of creation, and keep going if one fails so nothing leaks.
    let firstError: unknown;
    for (let i = this.items.length - 1; i >= 0; i--) {
      try {
        this.items[i].delete();
      } catch (err) {
        firstError ??= err;
      }
    }
    this.items.length = 0;
    if (firstError !== undefined) throw firstError;
  }
}

/** Runs `fn` with a fresh scope that is disposed afterwards, also when `fn` throws. */
export function withScope<T>(fn: (scope: DisposeScope) => T): T {
  using scope = new DisposeScope();
  return fn(scope);
}
