/**
 * Just enough of the Chrome DevTools Protocol client to drive Node's inspector from a test: the
 * /json/list endpoint, and a minimal WebSocket (RFC 6455: text frames, masked from the client) —
 * Node 20 has no WebSocket without a flag, and the package takes no dependencies for its tests.
 */
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { Socket } from 'node:net'

export interface Target {
  id: string
  url: string
  webSocketDebuggerUrl: string
}

/** The inspector's targets, or null if nothing answers on that port. */
export function listTargets(host: string, port: number): Promise<Target[] | null> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: '/json/list', timeout: 1000 }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => {
        try {
          resolve(JSON.parse(body))
        } catch {
          resolve(null)
        }
      })
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(null))
  })
}

export async function pollTargets(host: string, port: number, ms: number, stop = () => false): Promise<Target[] | null> {
  for (const end = Date.now() + ms; Date.now() < end && !stop(); await new Promise((r) => setTimeout(r, 100))) {
    const targets = await listTargets(host, port)
    if (targets?.length) return targets
  }
  return null
}

export interface CdpSession {
  send(method: string, params?: object): Promise<any>
  /** Every event received so far, and a hook for new ones. */
  events: Array<{ method: string; params: any }>
  onEvent?: (event: { method: string; params: any }) => void
  closed: Promise<void>
  close(): void
}

function frame(text: string): Buffer {
  const payload = Buffer.from(text)
  const mask = randomBytes(4)
  const length = payload.length
  const header = length < 126 ? Buffer.from([0x81, 0x80 | length])
    : length < 65536 ? Buffer.from([0x81, 0x80 | 126, length >> 8, length & 0xff])
    : Buffer.concat([Buffer.from([0x81, 0x80 | 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(length)); return b })()])
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]))
  return Buffer.concat([header, mask, masked])
}

export function connect(wsUrl: string): Promise<CdpSession> {
  const url = new URL(wsUrl)
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64') },
    })
    req.on('error', reject)
    req.on('upgrade', (_res, socket: Socket, head: Buffer) => {
      let buffer = head
      let nextId = 1
      const pending = new Map<number, { resolve: (r: any) => void; reject: (e: Error) => void }>()
      let closedResolve!: () => void
      const session: CdpSession = {
        events: [],
        closed: new Promise((r) => (closedResolve = r)),
        send(method, params = {}) {
          const id = nextId++
          socket.write(frame(JSON.stringify({ id, method, params })))
          return new Promise((resolve, reject) => pending.set(id, { resolve, reject }))
        },
        close: () => socket.destroy(),
      }
      const onMessage = (text: string) => {
        const message = JSON.parse(text)
        if (message.id !== undefined) {
          const waiter = pending.get(message.id)
          pending.delete(message.id)
          if (message.error) waiter?.reject(new Error(JSON.stringify(message.error)))
          else waiter?.resolve(message.result)
        } else {
          session.events.push(message)
          session.onEvent?.(message)
        }
      }
      const parse = () => {
        for (;;) {
          if (buffer.length < 2) return
          const opcode = buffer[0] & 0x0f
          let length = buffer[1] & 0x7f
          let offset = 2
          if (length === 126) {
            if (buffer.length < 4) return
            length = buffer.readUInt16BE(2)
            offset = 4
          } else if (length === 127) {
            if (buffer.length < 10) return
            length = Number(buffer.readBigUInt64BE(2))
            offset = 10
          }
          if (buffer.length < offset + length) return
          const payload = buffer.subarray(offset, offset + length)
          buffer = buffer.subarray(offset + length)
          if (opcode === 0x1) onMessage(payload.toString())
          else if (opcode === 0x8) socket.end()
        }
      }
      socket.on('data', (data: Buffer) => {
        buffer = Buffer.concat([buffer, data])
        parse()
      })
      socket.on('close', () => {
        for (const waiter of pending.values()) waiter.reject(new Error('inspector connection closed'))
        closedResolve()
      })
      socket.on('error', () => {})
      parse()
      resolve(session)
    })
    req.end()
  })
}
