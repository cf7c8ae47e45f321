const config = {
  api: 'https://forms.example.com/api',
  legacy: 'http://old.forms.example.com'
}

function post(url, data) {
  return new Promise((resolve, reject) => {
    wx.request({ url, method: 'POST', data, success: resolve, fail: reject })
  })
}

module.exports = {
  config,
  post
}
