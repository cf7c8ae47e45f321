const http = require('../../utils/http')

Page({
  async onShow() {
    const loc = await wx.getFuzzyLocation({ type: 'wgs84' })
    await http.post('/geo/report', { lat: loc.latitude })
  },
  onReady() {
    wx.chooseAddress().then((addr) => {
      http.post('/user/address', addr)
    })
  }
})
