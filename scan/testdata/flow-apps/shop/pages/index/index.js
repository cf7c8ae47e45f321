const request = require('../../utils/request')
const { PAGE_SIZE } = require('../../utils/config')

Page({
  data: { products: [], columns: 2 },
  onLoad() {
    const info = wx.getSystemInfoSync()
    this.setData({ columns: info.windowWidth > 600 ? 3 : 2 })
    request.get('/products', { page: 1, size: PAGE_SIZE }).then((list) => {
      this.setData({ products: list })
    })
  },
  openProduct(e) {
    wx.navigateTo({ url: '/pages/product/index?id=' + e.currentTarget.dataset.id })
  }
})
