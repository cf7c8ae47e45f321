export default {
  isExpand: function (
