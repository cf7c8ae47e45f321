const request = require('../../utils/request')
const app = getApp()

Page({
  onGetPhoneNumber(e) {
    if (!e.detail.code) {
      return
    }
    request.post('/auth/phone', {
      code: e.detail.code,
      token: app.globalData.token
    }).then(() => wx.navigateBack())
  }
})
