/** The version matrix on containerd 1.6 (see matrix.ts). */
import { describeLine } from './matrix';

describeLine('1.6');
