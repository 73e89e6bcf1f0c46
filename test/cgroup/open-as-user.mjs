// What an unprivileged user without a delegated cgroup gets:
//   node open-as-user.mjs <compiled cgroup index.js>
// Prints one JSON line: the 'required' error and the warnings of two 'auto' opens.
const { openCgroups } = await import(process.argv[2])

let required = null
try {
  const run = await openCgroups('required', () => {})
  run?.closeSync()
} catch (error) {
  required = { name: error.name, message: error.message }
}
const warnings = []
const first = await openCgroups('auto', (message) => warnings.push(message))
const second = await openCgroups('auto', (message) => warnings.push(message))
const disabled = await openCgroups(false, (message) => warnings.push(message))
console.log(JSON.stringify({ uid: process.getuid(), required, warnings, runs: [first, second, disabled].map((r) => r === null) }))
