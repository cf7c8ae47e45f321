const base = 'https://h5.example.com/map?lat='

Page({
  onLoad() {
    wx.getLocation({
      success: (res) => {
        this.setData({ url: base + res.latitude + '&lng=' + res.longitude })
      }
    })
  }
})
