/**
 * `Promise.withResolvers` (ES2024, Node ≥ 22) for Node 20, which this project supports (`engines`) and this
 * machine runs: `@restatedev/restate-sdk` 1.17 calls it on every invocation. Installed only when missing, with
 * the standard's behaviour; imported before the SDK is used.
 */
interface WithResolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

const PromiseConstructor = Promise as PromiseConstructor & { withResolvers?: <T>() => WithResolvers<T> };

if (typeof PromiseConstructor.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>(this: PromiseConstructor): WithResolvers<T> {
      let resolve!: WithResolvers<T>['resolve'];
      let reject!: WithResolvers<T>['reject'];
      const promise = new this<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}
