import { expect, inject, test } from 'vitest'
import dns from 'node:dns/promises'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'

const connect = (host: string, port: number) =>
  new Promise<string>((resolve) => {
    const socket = net.connect({ host, port, timeout: 1500 })
    socket.on('connect', () => (socket.destroy(), resolve('connected')))
    socket.on('timeout', () => (socket.destroy(), resolve('timed out')))
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message))
  })

test(`network interfaces: ${Object.keys(os.networkInterfaces()).join(', ')}`, () => {
  expect(Object.keys(os.networkInterfaces())).toEqual(['lo'])
})

const read = (host: string, port: number) =>
  new Promise<string>((resolve) => {
    let text = ''
    const socket = net.connect({ host, port })
    socket.on('data', (chunk) => (text += chunk))
    socket.on('end', () => resolve(text))
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message))
  })

test('a forwarded host service (network: { forward }) is reachable at its own address', async () => {
  const result = await read('127.0.0.1', inject('servicePort'))
  console.log(`connect 127.0.0.1:${inject('servicePort')} (forwarded) → "${result}"`)
  expect(result).toBe('hello from the forwarded host service')
})

test('the rest of the host is out of reach: another listener on the host\'s 127.0.0.1 is not this loopback', async () => {
  const result = await connect('127.0.0.1', inject('hostPort'))
  console.log(`connect 127.0.0.1:${inject('hostPort')} (listening on the host) → ${result}`)
  expect(result).toBe('ECONNREFUSED')
})

test('no name resolution: there is no resolver to ask', async () => {
  const result = await dns.lookup('registry.npmjs.org').then((r) => r.address, (e: NodeJS.ErrnoException) => e.code)
  console.log(`dns.lookup('registry.npmjs.org') → ${result}`)
  expect(['ENOTFOUND', 'EAI_AGAIN']).toContain(result)
})

test('a private loopback: port 3000 is ours alone, even with other files on the same port', async () => {
  const server = http.createServer((_, res) => res.end('hello from inside'))
  await new Promise<void>((resolve) => server.listen(3000, '127.0.0.1', resolve))
  const body = await (await fetch('http://127.0.0.1:3000')).text()
  console.log(`GET http://127.0.0.1:3000 → ${body}`)
  server.close()
  expect(body).toBe('hello from inside')
})
