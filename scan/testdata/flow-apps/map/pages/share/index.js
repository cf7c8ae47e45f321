Page({
  data: { poiId: 'p-1001' },
  onLoad(query) {
    this.setData({ poiId: query.id || 'p-1001' })
  },
  copyLink() {
    wx.setClipboardData({ data: 'https://map.example.cn/share?poi=' + this.data.poiId })
  }
})
