/**
 * The channel's framing: a message is a 4-byte big-endian length followed by that many bytes. Pure.
 *
 * This is the first thing that touches bytes a hostile worker wrote, so the decoder never trusts a
 * length: a header announcing more than `maxFrame` bytes is a violation as soon as it arrives, before
 * anything is buffered for it, and at most one frame is ever buffered.
 */

import { formatBytes } from '../cgroup/sizes.js'

export const HEADER_BYTES = 4

/** The worker broke the protocol: its sandbox is stopped and its files fail with this message. */
export class ChannelViolation extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ChannelViolation'
  }
}

export class FrameDecoder {
  private chunks: Buffer[] = []
  private buffered = 0
  /** Length of the frame being read, once its header is complete. */
  private expected: number | null = null

  constructor(private readonly maxFrame: number) {}

  /** Bytes received but not yet part of a complete frame. */
  get pending(): number {
    return this.buffered
  }

  /** Adds bytes; returns the payloads of the frames they complete. Throws ChannelViolation. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk)
    this.buffered += chunk.length
    const frames: Buffer[] = []
    for (;;) {
      if (this.expected === null) {
        if (this.buffered < HEADER_BYTES) return frames
        const length = this.take(HEADER_BYTES).readUInt32BE(0)
        if (length > this.maxFrame) {
          throw new ChannelViolation(`it sent a message of ${formatBytes(length)}, over the limit of ${formatBytes(this.maxFrame)} (limits.messageSize)`)
        }
        this.expected = length
      }
      if (this.buffered < this.expected) return frames
      frames.push(this.take(this.expected))
      this.expected = null
    }
  }

  /** Removes and returns the first `n` buffered bytes (n <= buffered). */
  private take(n: number): Buffer {
    const first = this.chunks[0]
    let out: Buffer
    if (first.length >= n) {
      out = first.subarray(0, n)
      if (first.length === n) this.chunks.shift()
      else this.chunks[0] = first.subarray(n)
    } else {
      const all = Buffer.concat(this.chunks, this.buffered)
      out = all.subarray(0, n)
      this.chunks = all.length > n ? [all.subarray(n)] : []
    }
    this.buffered -= n
    return out
  }
}
