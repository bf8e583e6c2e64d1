#!/usr/bin/env node
// The package's command. Sources are TypeScript run through tsx, so register it first.
import { register } from 'tsx/esm/api'

register()
await import('../src/cli.ts')
