Page({
  onLoad() {
    this.task = wx.connectSocket({ url: 'wss://chat.example.com/ws' })
  },
  shareRun() {
    wx.getWeRunData({
      success: (res) => {
        this.task.send({ data: JSON.stringify({ run: res.encryptedData }) })
        this.task.send({ data: 'ping' })
      }
    })
  }
})
