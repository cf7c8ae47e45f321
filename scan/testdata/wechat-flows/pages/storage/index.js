Page({
  onLoad() {
    wx.getSystemInfo({ success: (info) => wx.setStorageSync('device', info) })
    wx.setStorageSync('theme', 'dark')
  },
  report() {
    const d = wx.getStorageSync('device')
    const theme = wx.getStorageSync('theme')
    wx.request({ url: 'https://stats.example-analytics.com/collect', data: { model: d.model, theme } })
  },
  sendTheme() {
    wx.request({ url: 'https://api.shop.example.com/theme', data: { theme: wx.getStorageSync('theme') } })
  }
})
