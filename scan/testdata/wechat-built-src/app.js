const config = require('./utils/config.js')

App({
  globalData: { user: null, shop: config.shopId },
  onLaunch() {
    wx.login({
      success: (res) => {
        this.globalData.code = res.code
      }
    })
  }
})
