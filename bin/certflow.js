#!/usr/bin/env node
'use strict';
// The CLI is TypeScript run through tsx (a runtime dependency), so there is no build step.
require('tsx/cjs');
require('../src/cli/main.ts');
