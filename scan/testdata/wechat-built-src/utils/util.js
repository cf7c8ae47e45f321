const config = require('./config.js')

function formatTime(date) {
  const pad = (n) => (n < 10 ? '0' + n : '' + n)
  return [date.getFullYear(), pad(date.getMonth() + 1), pad(date.getDate())].join('-')
}

function post(path, data) {
  return new Promise((resolve, reject) => {
    wx.request({
      url: config.baseUrl + path,
      method: 'POST',
      data,
      success: (res) => resolve(res.data),
      fail: reject
    })
  })
}

module.exports = { formatTime, post }
