const app = getApp()

Page({
  openPartner() {
    const user = app.globalData.userInfo
    wx.navigateToMiniProgram({
      appId: 'wx0123456789abcdef',
      extraData: { nick: user.nickName }
    })
  }
})
