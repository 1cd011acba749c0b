/**
 * Sets `key` as an own, enumerable data property. Plain `out[key] = value` would, for the key
 * `__proto__` (valid in JSON), replace the object's prototype instead and lose the value.
 */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
