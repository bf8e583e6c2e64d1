import { describe, expect, it } from 'vitest'
import { DEFAULT_LOAD_MAX_SECONDS, parseCliArgs } from '../../simulator/cli-args.ts'

describe('simulate CLI arguments', () => {
  it('default to the demo station and its secrets, ×60, seed 1, local broker', () => {
    expect(parseCliArgs(['--scenario', 'normal-day'])).toMatchObject({
      scenario: 'normal-day',
      speed: 60,
      seed: 1,
      url: 'mqtt://127.0.0.1:1883',
      load: false,
      stationsDir: 'config/stations',
      secretsFile: 'simulator/demo-secrets.json',
      maxSeconds: undefined,
    })
  })

  it('in load mode write to data/ and stop after a bounded time', () => {
    expect(parseCliArgs(['--scenario', 'normal-day', '--stations', '700'])).toMatchObject({
      stations: 700,
      load: true,
      stationsDir: 'data/sim-stations',
      secretsFile: 'data/sim-stations.secrets.json',
      maxSeconds: DEFAULT_LOAD_MAX_SECONDS,
    })
    expect(parseCliArgs(['--stations', '3', '--generate-only', '--stations-dir', '/tmp/x/'])).toMatchObject({ secretsFile: '/tmp/x.secrets.json' })
  })

  it('--provision: load mode through the service\'s admin API', () => {
    expect(parseCliArgs(['--scenario', 'normal-day', '--stations', '5', '--provision', '--api', 'http://127.0.0.1:8080'])).toMatchObject({ provision: true, load: true, api: 'http://127.0.0.1:8080', 'api-user': 'admin' })
    expect(parseCliArgs(['--scenario', 'normal-day', '--stations', '5'])).toMatchObject({ provision: false })
  })

  it.each([
    [['--scenario', 'normal-day', '--speed', 'fast'], /--speed: must be a positive number/],
    [['--scenario', 'normal-day', '--speed', '0'], /--speed: must be above 0/],
    [['--scenario', 'normal-day', '--seed=-1'], /--seed: must be a whole number/],
    [['--scenario', 'normal-day', '--seed'], /Option '--seed <value>' argument missing \(see --help\)/],
    [['--scenario', 'normal-day', '--stations', '0'], /--stations: must be between 1 and/],
    [['--scenario', 'normal-day', '--stations', '99999'], /--stations: must be between 1 and/],
    [['--scenario', 'normal-day', '--url', 'localhost:1883'], /--url: must look like mqtt:\/\/host:port/],
    [['--scenario', 'normal-dya'], /--scenario: unknown scenario "normal-dya" \(known: normal-day,/],
    [['--speed', '10'], /--scenario: required/],
    [['--scenario', 'tamper', '--station', 'xinhua', '--stations', '2'], /--station and --stations/],
    [['--generate-only'], /--generate-only: only with --stations/],
    [['--scenario', 'tamper', '--sped', '2'], /Unknown option '--sped' \(see --help\)/],
    [['--scenario', 'normal-day', '--provision', '--api', 'http://127.0.0.1:8080'], /--provision: only with --stations N/],
    [['--scenario', 'normal-day', '--stations', '3', '--provision'], /--provision: give --api/],
  ])('reject %j naming the flag', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(message)
  })
})
