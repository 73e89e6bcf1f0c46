/**
 * Loading a C library through koffi, as the seccomp compiler (libseccomp) and the host file
 * operations (libc) both do: lazily, once per process, trying several names in order.
 */
type Koffi = typeof import('koffi')

export type Library = ReturnType<Koffi['load']>

/** The first of `names` the dynamic loader opens; otherwise the first loader error's message. */
export function loadFirst(k: Koffi, names: readonly string[]): Library | string {
  const failures: string[] = []
  for (const name of names) {
    try {
      return k.load(name)
    } catch (error) {
      failures.push((error as Error).message)
    }
  }
  return failures[0] ?? 'not found'
}

export interface Once<T> {
  /** What `open` returned the first time; or the error it threw then, thrown again. */
  get(): T
  /** For tests: forget the result, or pretend it was `value`. */
  set(value?: T | Error): void
}

/** `open` run on the first `get` only; a failure is remembered as `asError(error)`. */
export function once<T>(open: () => T, asError: (error: unknown) => Error): Once<T> {
  let loaded: T | Error | undefined
  return {
    get() {
      if (loaded === undefined) {
        try {
          loaded = open()
        } catch (error) {
          loaded = asError(error)
        }
      }
      if (loaded instanceof Error) throw loaded
      return loaded
    },
    set(value) {
      loaded = value
    },
  }
}
