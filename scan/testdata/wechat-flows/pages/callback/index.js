Page({
  onLoad() {
    wx.getLocation({
      type: 'gcj02',
      success(res) {
        wx.request({
          url: 'http://tracker.example.net/loc',
          data: { lat: res.latitude, lng: res.longitude }
        })
      }
    })
  }
})
