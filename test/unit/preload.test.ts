import { expect, test } from 'vitest'
import { envFiles, preloads, splitNodeOptions } from '../../src/isolate/preload.js'

test('NODE_OPTIONS splits as Node splits it: spaces, "double quotes", escapes inside quotes', () => {
  expect(splitNodeOptions('  --max-old-space-size=300   --enable-source-maps ')).toEqual(['--max-old-space-size=300', '--enable-source-maps'])
  expect(splitNodeOptions('--require "/opt/my hooks/a.cjs" --title="a \\"b\\""')).toEqual(['--require', '/opt/my hooks/a.cjs', '--title=a "b"'])
  expect(splitNodeOptions('')).toEqual([])
})

test('code-loading flags in every spelling; package names load through node_modules', () => {
  expect(preloads(['-r', './a.cjs', '--import=file:///opt/b.mjs', '--loader', 'ts-node/esm', '--experimental-loader=../c.mjs', '--require', '/d.cjs', '--conditions', 'x'], '/p/q')).toEqual([
    { flag: '-r', value: './a.cjs', file: '/p/q/a.cjs' },
    { flag: '--import', value: 'file:///opt/b.mjs', file: '/opt/b.mjs' },
    { flag: '--loader', value: 'ts-node/esm', file: null },
    { flag: '--experimental-loader', value: '../c.mjs', file: '/p/c.mjs' },
    { flag: '--require', value: '/d.cjs', file: '/d.cjs' },
  ])
})

test('envFiles: preloads of NODE_OPTIONS and the extra CA file, resolved against the working directory', () => {
  expect(envFiles({ NODE_OPTIONS: '--import tsx --require ./hook.cjs', NODE_EXTRA_CA_CERTS: 'certs/ca.pem' }, '/p')).toEqual([
    { variable: 'NODE_OPTIONS', flag: '--require', value: './hook.cjs', file: '/p/hook.cjs' },
    { variable: 'NODE_EXTRA_CA_CERTS', value: 'certs/ca.pem', file: '/p/certs/ca.pem' },
  ])
})
