const util = require('../../utils/util.js')

Page({
  data: { shops: [] },

  onLoad() {
    wx.getLocation({
      type: 'gcj02',
      success: (loc) => {
        util.post('/shops/near', { lat: loc.latitude, lng: loc.longitude }).then((shops) => {
          this.setData({ shops })
        })
      }
    })
  },

  openShop(e) {
    wx.navigateTo({ url: '/packageShop/pages/detail/index?id=' + e.currentTarget.dataset.id })
  }
})
