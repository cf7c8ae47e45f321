const { formatTime } = require('../../utils/util.js')

Page({
  data: { logs: [] },
  onLoad() {
    this.setData({
      logs: (wx.getStorageSync('logs') || []).map(t => formatTime(new Date(t)))
    })
  }
})
