Page({
  data: { greeting: 'Hello' },
  goToLogs() {
    wx.navigateTo({ url: '/pages/logs/logs' })
  }
})
