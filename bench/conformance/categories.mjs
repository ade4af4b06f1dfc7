// Prints how many tests of the suite fall in each of its own result
// categories (as its web page counts them), then the ids of the failures.
// Usage: node categories.mjs <suite dir> <results.json>
import fs from 'fs'
import path from 'path'
import { pathToFileURL } from 'url'

const [suiteDir, resultsFile] = process.argv.slice(2)
const load = (p) => import(pathToFileURL(path.join(suiteDir, p)).href)
const tests = (await load('tests/index.mjs')).default
tests.push((await load('tests/surrogate-control.mjs')).default)
const { determineTestResult } = await load('lib/display.mjs')
const results = JSON.parse(fs.readFileSync(resultsFile))

const names = { '✅': 'passed', '⛔️': 'failed', '⚠️': 'optional failures', Y: 'checks yes', N: 'checks no', '🔹': 'setup failures', '⚪️': 'dependency failures', '⁉️': 'harness failures', '↻': 'retries', '-': 'untested' }
const counts = {}
const failed = []
for (const suite of tests) {
  for (const t of suite.tests) {
    if (t.browser_only) continue
    const symbol = determineTestResult(tests, t.id, results)[2]
    const name = names[symbol] || symbol
    counts[name] = (counts[name] || 0) + 1
    if (name === 'failed') failed.push(t.id)
  }
}
for (const [name, n] of Object.entries(counts)) console.log(`${name}: ${n}`)
if (failed.length) console.log('failed: ' + failed.join(', '))
