import { format } from './util'
import * as all from './all'
export const version = '1.0'
export function go() { return eval('1') }
export default { go }
export { format }
