/** The version matrix on containerd 2.x (see matrix.ts). */
import { describeLine } from './matrix';

describeLine('2.x');
