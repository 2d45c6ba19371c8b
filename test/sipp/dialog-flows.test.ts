import t from 'tap';
import { defineDialogFlows } from '../helpers/dialog-suite.ts';
import { embeddedFrontEnd } from '../helpers/embedded-front-end.ts';
import { SIPP_AVAILABLE } from '../helpers/sipp.ts';

// Forking and session timers through the embedded front end (the guard on 127.0.0.10); the
// same flows run through the drachtio front end in drachtio-flows.test.ts.
const GUARD_IP = '127.0.0.10';
const skip = SIPP_AVAILABLE ? false : 'sipp is not installed (Debian package sip-tester)';

const embedded = embeddedFrontEnd(GUARD_IP);

defineDialogFlows(t, () => embedded, { skip, firstPort: 36010, forkSkip: false, guardOwnsStack: true });
