/** The version matrix on containerd 1.7 (see matrix.ts). */
import { describeLine } from './matrix';

describeLine('1.7');
