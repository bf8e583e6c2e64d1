import { newSecret } from './auth/secret-hash.ts'

const USAGE = `usage: stationwatch <command>

commands:
  start     run the service (same as npm start); configured by environment variables
  secret    print a new device secret and its secretHash as JSON, for a station file
`

const [command = 'start', ...rest] = process.argv.slice(2)

switch (command) {
  case 'secret':
    if (rest.length) {
      process.stderr.write(`stationwatch secret: takes no arguments\n${USAGE}`)
      process.exit(2)
    }
    process.stdout.write(JSON.stringify(newSecret()) + '\n')
    break
  case 'start':
    await import('./main.ts')
    break
  case 'help':
  case '--help':
  case '-h':
    process.stdout.write(USAGE)
    break
  default:
    process.stderr.write(`stationwatch: unknown command "${command}"\n${USAGE}`)
    process.exit(2)
}
