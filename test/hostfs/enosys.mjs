// Runs the hostfs scenarios in a process whose openat2 the seccomp filter answers with ENOSYS (a
// kernel before 5.6, or an older container profile): prints { strategy, results, outsideTouched }.
//   node enosys.mjs <dist/hostfs/beneath.js> <scratch> <outside>
import { runScenarios } from './scenarios.mjs'

const [module, scratch, outside] = process.argv.slice(2)
const { hostFs } = await import(module)
const hostfs = hostFs()
console.log(JSON.stringify({ strategy: hostfs.strategy, ...runScenarios(hostfs, scratch, outside) }))
