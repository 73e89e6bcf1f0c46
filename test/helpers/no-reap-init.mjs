// Pid 1 of a fresh pid namespace that, like a container started without --init, reaps nothing but
// its own child:
//   node no-reap-init.mjs COMMAND...
// runs COMMAND as the leader of its own process group, passes its output through, waits for it, and
// then prints every other process left in the namespace, zombies included, as one line
// `LEFTOVER [{"pid","state","comm","ppid"}…]`. With INTERRUPT_ON=<text> in the environment, once
// COMMAND's output contains that text its whole process group gets SIGINT, as from a terminal's
// Ctrl-C; with INTERRUPT_SIGNAL=SIGTERM too, COMMAND alone gets SIGTERM instead, as from `docker stop`.
import { spawn } from 'node:child_process'
import fs from 'node:fs'

let interruptOn = process.env.INTERRUPT_ON
const child = spawn(process.argv[2], process.argv.slice(3), { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
let output = ''
for (const stream of [child.stdout, child.stderr]) {
  stream.on('data', (chunk) => {
    process.stdout.write(chunk)
    output += chunk
    if (interruptOn && output.includes(interruptOn)) {
      interruptOn = undefined
      if (process.env.INTERRUPT_SIGNAL === 'SIGTERM') process.kill(child.pid, 'SIGTERM')
      else process.kill(-child.pid, 'SIGINT')
    }
  })
}
child.on('exit', () => {
  const leftover = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid).flatMap((pid) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      return [{ pid: Number(pid), state, comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ppid: Number(ppid) }]
    } catch {
      return [] // gone meanwhile
    }
  })
  process.stdout.write(`\nLEFTOVER ${JSON.stringify(leftover)}\n`)
})
