import helper from './helper.sjs'
function isExpand(key, map) { return !map[key] }
export default {
  isExpand: isExpand
};
