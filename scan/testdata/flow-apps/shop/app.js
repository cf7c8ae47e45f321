const request = require('./utils/request')

App({
  globalData: { token: '', cart: [] },
  onLaunch() {
    wx.login({
      success: ({ code }) => {
        request.post('/auth/login', { code }).then((res) => {
          this.globalData.token = res.token
          wx.setStorageSync('token', res.token)
        })
      }
    })
  }
})
