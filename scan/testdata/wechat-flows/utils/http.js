const config = require('./config')

function post(url, data) {
  return new Promise((resolve, reject) => {
    wx.request({
      url: config.baseUrl + url,
      method: 'POST',
      data,
      success: (res) => resolve(res.data),
      fail: reject
    })
  })
}

module.exports = { post }
