const util = require('../../utils/util.js')

Page({
  data: { phone: '' },

  onShow() {
    this.refresh()
  },

  refresh() {
    // The legacy profile service has no certificate yet.
    wx.request({
      url: 'http://legacy.teahouse.example.com/profile',
      success: (res) => this.setData({ profile: res.data })
    })
    setTimeout('this.refresh()', 60000)
  },

  getPhoneNumber(e) {
    util.post('/user/phone', { code: e.detail.code })
  },

  copyInvite() {
    wx.setClipboardData({ data: 'TEA-' + util.formatTime(new Date()) })
  }
})
