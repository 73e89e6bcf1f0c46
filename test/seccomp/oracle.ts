/**
 * The meaning of one seccomp argument comparison, written out independently of src/seccomp so the
 * tests check the code against the kernel's semantics rather than against itself.
 */
export type Op = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'masked_eq'

/** `v op value`; for masked_eq, `(v & mask) === value`. */
export function holds(op: Op, v: bigint, value: bigint, mask?: bigint): boolean {
  switch (op) {
    case 'eq': return v === value
    case 'ne': return v !== value
    case 'lt': return v < value
    case 'le': return v <= value
    case 'gt': return v > value
    case 'ge': return v >= value
    case 'masked_eq': return (v & mask!) === value
  }
}
