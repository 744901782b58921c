// The rule pack, in id order: one entry per file of this folder (../shared/risk-rules.md).
import { capr001 } from './capr001-standing-access.js';
import { capr002 } from './capr002-undeclared-in-use.js';
import { capr003 } from './capr003-app-without-owner.js';
import { capr004 } from './capr004-critical-app-open.js';
import { capr005 } from './capr005-bypass-permissions.js';
import { capr006 } from './capr006-stale-access.js';
import { capr007 } from './capr007-allowlisting-off.js';
import { capr008 } from './capr008-contained-unblocked.js';
import type { RiskRule } from './rule.js';

/** Every risk rule, in id order. */
export const riskRules: readonly RiskRule[] = [capr001, capr002, capr003, capr004, capr005, capr006, capr007, capr008];
