const pad = n => (n < 10 ? '0' + n : '' + n)

const formatTime = date =>
  [date.getFullYear(), date.getMonth() + 1, date.getDate()].map(pad).join('/') +
  ' ' +
  [date.getHours(), date.getMinutes(), date.getSeconds()].map(pad).join(':')

module.exports = { formatTime }
