import { describe, expect, test } from 'vitest'
import { validateOptions } from '../../src/policy/validate.js'
import { createPolicyResolver } from '../../src/policy/resolve.js'
import { OptionsError } from '../../src/policy/errors.js'
import { parseForwards } from '../../src/relay/entries.js'

describe('network: { forward } entries', () => {
  test('every form, parsed', () => {
    expect(parseForwards([
      '127.0.0.1:5432', 'localhost:6379', '[::1]:8080', 'API.example.com:443', 'unix:/var/run/postgresql/.s.PGSQL.5432',
      { from: '127.0.0.1:5433', to: 'db.internal:5432' }, { from: 'unix:/tmp/a.sock', to: '10.0.0.5:6379' },
    ])).toEqual([
      { spec: '127.0.0.1:5432', from: { kind: 'tcp', host: '127.0.0.1', port: 5432 }, to: { kind: 'tcp', host: '127.0.0.1', port: 5432 } },
      { spec: 'localhost:6379', from: { kind: 'tcp', host: 'localhost', port: 6379 }, to: { kind: 'tcp', host: 'localhost', port: 6379 } },
      { spec: '[::1]:8080', from: { kind: 'tcp', host: '::1', port: 8080 }, to: { kind: 'tcp', host: '::1', port: 8080 } },
      { spec: 'API.example.com:443', from: { kind: 'tcp', host: 'api.example.com', port: 443 }, to: { kind: 'tcp', host: 'api.example.com', port: 443 } },
      { spec: 'unix:/var/run/postgresql/.s.PGSQL.5432', from: { kind: 'unix', path: '/var/run/postgresql/.s.PGSQL.5432' }, to: { kind: 'unix', path: '/var/run/postgresql/.s.PGSQL.5432' } },
      { spec: '127.0.0.1:5433 → db.internal:5432', from: { kind: 'tcp', host: '127.0.0.1', port: 5433 }, to: { kind: 'tcp', host: 'db.internal', port: 5432 } },
      { spec: 'unix:/tmp/a.sock → 10.0.0.5:6379', from: { kind: 'unix', path: '/tmp/a.sock' }, to: { kind: 'tcp', host: '10.0.0.5', port: 6379 } },
    ])
  })

  test.each([
    [{ rules: [{ files: 'a', network: {} }, { files: 'b', network: { forward: ['localhost:99999'] } }] }, 'option `rules[1].network.forward[0]` is "localhost:99999"; expected a port from 1 to 65535 after the host'],
    [{ network: { forward: ['localhost:0'] } }, 'option `network.forward[0]` is "localhost:0"; expected a port from 1 to 65535'],
    [{ network: { forward: ['localhost'] } }, 'option `network.forward[0]` is "localhost"; expected \'HOST:PORT\''],
    [{ network: { forward: ['http://localhost:80'] } }, 'option `network.forward[0]` is "http://localhost:80"; expected \'HOST:PORT\''],
    [{ network: { forward: ['bad_host:80'] } }, 'expected a host that is an IP address, localhost or a host name'],
    [{ network: { forward: ['10.1:80'] } }, 'expected a host that is an IP address, localhost or a host name'],
    [{ network: { forward: ['[fe80::zz]:80'] } }, 'expected a host that is an IP address'],
    [{ network: { forward: ['unix:relative.sock'] } }, 'option `network.forward[0]` is "unix:relative.sock"; expected an absolute socket path'],
    [{ network: { forward: [`unix:/${'x'.repeat(120)}`] } }, 'expected a socket path of at most 107 bytes'],
    [{ network: { forward: ['10.0.0.5:5432'] } }, 'expected a loopback address (127.x.x.x, [::1]), localhost or a host name on the sandbox side: the sandbox has only lo and cannot hold 10.0.0.5 (forward another address to it, e.g. { from: \'127.0.0.1:5432\', to: \'10.0.0.5:5432\' })'],
    [{ network: { forward: [{ from: '0.0.0.0:80', to: 'x.example:80' }] } }, 'option `network.forward[0].from` is "0.0.0.0:80"; expected a loopback address'],
    [{ network: { forward: [{ form: '127.0.0.1:1', to: 'x.example:80' }] } }, 'option `network.forward[0].form` is "127.0.0.1:1"; expected only `from` and `to`'],
    [{ network: { forward: [{ to: 'x.example:80' }] } }, 'option `network.forward[0].from` is undefined'],
    [{ network: { forward: [5432] } }, 'option `network.forward[0]` is 5432; expected \'HOST:PORT\''],
    [{ network: { forward: 'localhost:5432' } }, 'option `network.forward` is "localhost:5432"; expected an array of entries'],
    [{ network: { forwards: [] } }, 'option `network.forwards` is []; expected one of the known options (did you mean `network.forward`?)'],
    [{ network: {} }, 'option `network.forward` is undefined; expected an array of the host services to reach'],
    [{ network: { forward: ['localhost:6379', '127.0.0.1:6379'] } }, 'option `network.forward[1]` is "127.0.0.1:6379"; expected an address that no other entry takes inside (network.forward[0] already listens on 127.0.0.1:6379)'],
    [{ network: { forward: ['unix:/tmp/a.sock', { from: 'unix:/tmp/./a.sock', to: 'unix:/tmp/b.sock' }] } }, 'already listens on /tmp/a.sock'],
  ])('%j is refused with its option path, value and what is expected', (options, message) => {
    expect(() => validateOptions(options)).toThrow(OptionsError)
    expect(() => validateOptions(options)).toThrow(message)
  })

  test('every bad entry is its own problem', () => {
    const error = (() => {
      try {
        validateOptions({ network: { forward: ['localhost:99999', 'ok.example:1', 'unix:x', '[::1]:8080'] } })
      } catch (e) {
        return e as OptionsError
      }
    })()
    expect(error?.problems.map((p) => p.option)).toEqual(['network.forward[0]', 'network.forward[2]'])
  })

  test('a rule replaces the network as a whole, and policies with different forwards differ', () => {
    const resolver = createPolicyResolver(validateOptions({
      network: { forward: ['127.0.0.1:5432'] },
      rules: [{ files: 'test/cache/**', network: { forward: ['localhost:6379'] } }, { files: 'test/web/**', network: 'host' }],
    }), '/p')
    expect(resolver.forFile('/p/test/a.test.ts').network).toEqual({ forward: [{ spec: '127.0.0.1:5432', from: { kind: 'tcp', host: '127.0.0.1', port: 5432 }, to: { kind: 'tcp', host: '127.0.0.1', port: 5432 } }] })
    expect(resolver.forFile('/p/test/cache/a.test.ts').network).toEqual({ forward: [expect.objectContaining({ spec: 'localhost:6379' })] })
    expect(resolver.forFile('/p/test/web/a.test.ts').network).toBe('host')
    expect(resolver.keyForFile('/p/test/a.test.ts')).not.toBe(resolver.keyForFile('/p/test/cache/a.test.ts'))
  })
})
